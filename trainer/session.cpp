#include "trainer/session.h"

#include <filesystem>

#include "common/log.h"
#include "runfolder/checkpoints.h"
#include "runfolder/folder.h"

namespace scalelab {
namespace {

const Config& checked(const Config& config, const TrainOptions& options) {
  validate_training(config, options.world_size);
  if (config.train.threads > 0) torch::set_num_threads(config.train.threads);
  return config;
}

int64_t eval_windows(const Config& c) {
  const int64_t rows = c.eval.batch_size > 0 ? c.eval.batch_size : c.train.batch_size;
  return rows * c.eval.n_batches;
}

DeviceChoice device_for(const Config& config) {
  DeviceChoice dev = choose_device(config.train);
  if (dev.device.is_cuda()) at::globalContext().setAllowTF32CuBLAS(true);  // TF32 for fp32 matmuls
  return dev;
}

// The seed is set before the model is built, so a run's initial weights depend on it alone.
GPT seeded_model(const Config& config, const TrainOptions& options, const DeviceChoice& dev,
                 const std::string& config_yaml) {
  if (options.rank == 0) {
    claim_run_folder(options.run_dir, config_yaml, options.resume ? RunStart::resume : RunStart::fresh,
                     options.force);
    log::tee_to_file((std::filesystem::path(options.run_dir) / "log.txt").string());
  }
  torch::manual_seed(config.train.seed);
  GPT model(config.model);
  model->to(dev.device);
  return model;
}

void check_vocab(const Config& config, const data::TrainLoader& loader) {
  if (loader.vocab_size() > config.model.vocab_size)
    throw ConfigError("model.vocab_size: " + std::to_string(config.model.vocab_size) +
                      " is smaller than the dataset's vocabulary (" + std::to_string(loader.vocab_size()) + " in " +
                      config.data.path + "/manifest.json)");
}

}  // namespace

TrainSession::TrainSession(const Config& c, const TrainOptions& o)
    : config(checked(c, o)),
      options(o),
      config_yaml(to_yaml(c)),
      layout(batch_layout(c, o.world_size)),
      total_steps(budget_steps(c)),
      loader(c.data.path, c.model.block_size, static_cast<uint64_t>(c.train.seed), c.train.batch_size),
      val_loader((check_vocab(c, loader), c.data.path), c.model.block_size, eval_windows(c)),
      dev(device_for(c)),
      folder_lock(o.rank == 0 ? o.run_dir : std::string()),
      model(seeded_model(c, o, dev, config_yaml)),
      optimizer(model->parameters(), c.optim) {
  if (o.resume) {
    const std::string path = resume_from_newest_intact(o.run_dir);
    log::info(log::format("[train] resuming %s at step %ld", path.c_str(), (long)state.step));
  } else if (!o.init_from.empty()) {
    auto path = newest_checkpoint(o.init_from);
    if (!path)
      throw std::runtime_error(o.init_from + ": --init-from found no checkpoint in " + checkpoint_dir(o.init_from));
    load_checkpoint(*path, model, nullptr);
    log::info("[train] initialised from " + *path);
  }
  // Rank 0's weights (fresh, resumed or --init-from) on every rank, before the first step.
  if (o.sync) o.sync->attach(model->parameters());
}

std::string TrainSession::resume_from_newest_intact(const std::string& run_dir) {
  const auto all = list_checkpoints(run_dir);
  if (all.empty()) throw std::runtime_error(run_dir + ": --resume found no checkpoint");
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    try {
      std::string saved_yaml;
      state = load_checkpoint(it->path, model, &optimizer, &saved_yaml);
      if (saved_yaml != config_yaml)
        log::warn("[train] the config differs from the checkpoint's; continuing with the new one");
      return it->path;
    } catch (const std::exception& e) {
      if (std::next(it) == all.rend()) throw;
      log::warn(std::string("[train] ") + e.what() + "; falling back to the previous checkpoint");
    }
  }
  throw std::logic_error("unreachable");
}

torch::Tensor rows_to_device(std::vector<int64_t>& buffer, int64_t n_rows, int64_t width,
                             const torch::Device& device) {
  auto cpu = torch::from_blob(buffer.data(), {n_rows, width}, torch::kInt64);
  return device.is_cpu() ? cpu.clone() : cpu.pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace scalelab
