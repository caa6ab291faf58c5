#include "trainer/session.h"

#include <filesystem>
#include <fstream>

#include "common/log.h"
#include "core/counts.h"
#include "core/packing.h"
#include "runfolder/checkpoints.h"
#include "common/checked_io.h"
#include "runfolder/folder.h"
#include "runfolder/metrics.h"
#include "data/run_dataset.h"

namespace scalelab {
namespace {

namespace fs = std::filesystem;

// The config this session trains with: checked for the world size, and data.path absolute, so
// that the run folder names its dataset wherever a later command (sample, export, --resume) runs
// from. A missing dataset is named here, with what to do when a resumed run's dataset moved.
Config checked(const Config& given, const TrainOptions& options) {
  validate_training(given, options.world_size);
  if (given.train.threads > 0) torch::set_num_threads(given.train.threads);
  Config config = given;
  const fs::path path = fs::absolute(given.data.path).lexically_normal();
  config.data.path = (path.filename().empty() ? path.parent_path() : path).string();
  if (!fs::is_directory(config.data.path)) {
    const bool moved =
        options.resume && fs::exists(fs::path(options.run_dir) / data::kDatasetRecordFile);
    throw ConfigError("data.path " + given.data.path +
                      (config.data.path != given.data.path ? " (" + config.data.path + ")" : "") +
                      ": no such folder" +
                      (moved ? "; " + options.run_dir +
                                   " trained on it: if the dataset moved, continue with --set "
                                   "data.path=ITS_NEW_PLACE"
                             : " (make one with `scalelab prepare`)"));
  }
  return config;
}

// On --resume, the dataset must tokenize as the one the run started on (its ids would mean other
// text otherwise); checked before the run folder is touched.
void check_resumed_dataset(const Config& config, const TrainOptions& options) {
  if (!options.resume || options.rank != 0) return;
  if (const auto recorded = data::read_dataset_record(options.run_dir))
    data::check_same_tokenizer(*recorded, data::describe_dataset(config.data.path),
                               options.run_dir);
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

// Refuses, with the numbers, a model whose weights, gradients and optimizer state cannot fit in
// the memory left, before allocating it (a refused allocation would otherwise be the first sign).
void check_memory(const Config& config, const DeviceChoice& dev) {
  if (!dev.device.is_cpu()) return;  // the CUDA caching allocator reports its own out-of-memory
  const double need = training_state_bytes(config.model), have = available_host_memory();
  if (have > 0 && need > have)
    throw ConfigError(log::format(
        "model: N = %.3g parameters need at least %.3g GB for weights, gradients and "
        "AdamW state (%.0f bytes each), more than the %.3g GB of memory available",
        double(count_params(config.model).total), need / 1e9, kTrainingBytesPerParam, have / 1e9));
}

// The seed is set before the model is built, so a run's initial weights depend on it alone
// (the data order follows train.data_seed when that is set: data_order_seed).
GPT seeded_model(const Config& config, const TrainOptions& options, const DeviceChoice& dev,
                 const std::string& config_yaml) {
  check_memory(config, dev);
  if (options.rank == 0) {
    claim_run_folder(options.run_dir, config_yaml,
                     options.resume ? RunStart::resume : RunStart::fresh, options.force);
    if (options.packed)
      log::also_tee_to_file(log_path(options.run_dir));
    else
      log::tee_to_file(log_path(options.run_dir));
    // The tokenizer travels with the run: sample and export need no dataset folder.
    data::record_dataset(options.run_dir, data::describe_dataset(config.data.path));
  }
  torch::manual_seed(config.train.seed);
  GPT model(config.model);
  model->to(dev.device);
  return model;
}

// The dataset folder, once its vocabulary is known to fit the model (the validation loader opens
// the same folder right after the train loader).
const std::string& vocab_checked_path(const Config& config, const data::TrainLoader& loader,
                                      const TrainOptions& options) {
  check_resumed_dataset(config, options);
  if (loader.vocab_size() > config.model.vocab_size)
    throw ConfigError("model.vocab_size: " + std::to_string(config.model.vocab_size) +
                      " is smaller than the dataset's vocabulary (" +
                      std::to_string(loader.vocab_size()) + " in " + config.data.path +
                      "/manifest.json)");
  return config.data.path;
}

// A checkpoint written before data.path was stored absolute names it relative: the same config.
bool same_but_for_data_path(const std::string& saved_yaml, const Config& config) {
  try {
    Config saved = parse_config(saved_yaml, "checkpoint");
    saved.data.path = config.data.path;
    return to_yaml(saved) == to_yaml(config);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

TrainSession::TrainSession(const Config& c, const TrainOptions& o)
    : config(checked(c, o)),
      options(o),
      config_yaml(to_yaml(config)),
      layout(batch_layout(c, o.world_size)),
      total_steps(budget_steps(c)),
      loader(config.data.path, c.model.block_size, static_cast<uint64_t>(data_order_seed(c.train)),
             c.train.batch_size, std::llround(c.data.unique_tokens)),
      val_loader(vocab_checked_path(config, loader, o), c.model.block_size, eval_windows(c)),
      dev(device_for(c)),
      folder_lock(o.rank == 0 ? o.run_dir : std::string()),
      model(seeded_model(config, o, dev, config_yaml)),
      optimizer(FusedAdamW::for_model(*model, config.model, c.optim)) {
  if (o.resume) {
    const std::string path = resume_from_newest_intact(o.run_dir);
    log::info(log::format("[train] resuming %s at step %ld", path.c_str(), (long)state.step));
  } else if (!o.branch_from.empty()) {
    branch_from_trunk(o.branch_from);
  } else if (!o.init_from.empty()) {
    auto path = newest_checkpoint(o.init_from);
    if (!path)
      throw std::runtime_error(o.init_from + ": --init-from found no checkpoint in " +
                               checkpoint_dir(o.init_from));
    load_checkpoint(*path, model, nullptr);
    log::info("[train] initialised from " + *path);
  }
  for (const auto* check : {&loader.checksums(), &val_loader.checksums()})
    if (check->slow()) log::info("[data] " + check->summary());
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
      if (saved_yaml != config_yaml && !same_but_for_data_path(saved_yaml, config))
        log::warn("[train] the config differs from the checkpoint's; continuing with the new one");
      return it->path;
    } catch (const std::exception& e) {
      if (std::next(it) == all.rend()) throw;
      log::warn(std::string("[train] ") + e.what() + "; falling back to the previous checkpoint");
    }
  }
  throw std::logic_error("unreachable");
}

void TrainSession::branch_from_trunk(const std::string& checkpoint) {
  namespace fs = std::filesystem;
  const int64_t at = checkpoint_step(checkpoint);
  if (at < 0 || !fs::exists(checkpoint))
    throw std::runtime_error("--branch-from " + checkpoint +
                             ": not a checkpoint file (checkpoints/step_<K>.pt)");
  if (at >= total_steps)
    throw std::runtime_error("--branch-from " + checkpoint + ": the branch point (step " +
                             std::to_string(at) + ") is not before this run's budget of " +
                             std::to_string(total_steps) + " steps");
  state = load_checkpoint(checkpoint, model, &optimizer);
  const int64_t trunk_bytes = state.metrics_bytes;
  state.metrics_bytes = 0;
  if (options.rank == 0) {
    // The branch's metrics start with the trunk's lines up to the branch point, so that the
    // folder is an ordinary run whose curve starts at step 0.
    const fs::path trunk_metrics =
        fs::path(checkpoint).parent_path().parent_path() / "metrics.jsonl";
    std::ifstream in(trunk_metrics, std::ios::binary);
    std::string prefix(size_t(trunk_bytes), '\0');
    if (!in.read(prefix.data(), std::streamsize(prefix.size())))
      throw std::runtime_error(trunk_metrics.string() +
                               ": shorter than at the branch point; was the trunk edited?");
    write_file_atomic(metrics_path(options.run_dir), prefix);
    state.metrics_bytes = int64_t(prefix.size());
  }
  log::info(log::format("[train] branching from %s at step %ld", checkpoint.c_str(), (long)at));
}

std::unique_ptr<TrainSession> open_session(const Config& config, const TrainOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool folder_was_new =
      options.rank == 0 && (!fs::exists(options.run_dir) || fs::is_empty(options.run_dir, ec));
  try {
    return std::make_unique<TrainSession>(config, options);
  } catch (...) {
    if (folder_was_new) {
      log::stop_tee(log_path(options.run_dir));
      fs::remove_all(options.run_dir, ec);
    }
    throw;
  }
}

torch::Tensor rows_to_device(std::vector<int64_t>& buffer, int64_t n_rows, int64_t width,
                             const torch::Device& device) {
  auto cpu = torch::from_blob(buffer.data(), {n_rows, width}, torch::kInt64);
  return device.is_cpu() ? cpu.clone() : cpu.pin_memory().to(device, /*non_blocking=*/true);
}

}  // namespace scalelab
