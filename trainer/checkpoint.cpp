#include "trainer/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/checked_io.h"
#include "runfolder/checkpoints.h"

namespace scalelab {
namespace fs = std::filesystem;

namespace {

torch::Tensor scalar(double v) {
  return torch::tensor(v, torch::kFloat64);
}
torch::Tensor scalar(int64_t v) {
  return torch::tensor(v, torch::kInt64);
}

// Writes the archive through an AtomicFile. Its writes never report a short write to LibTorch
// (whose stream writer then fails in a destructor and aborts the process); the first error is
// thrown at commit, naming the file and the reason (e.g. "No space left on device"), with the
// previous checkpoint kept.
void write_archive_atomic(torch::serialize::OutputArchive& archive, const std::string& path) {
  AtomicFile out(path, "write the checkpoint");
  archive.save_to([&](const void* data, size_t n) -> size_t {
    out.write(data, n);
    return n;
  });
  try {
    out.commit();
  } catch (const std::runtime_error& e) {  // ENOSPC's hint already says the old file is kept
    throw std::runtime_error(e.what() + std::string(out.first_error() == ENOSPC
                                                        ? ""
                                                        : "; the previous checkpoint is kept"));
  }
}

}  // namespace

void save_checkpoint(const std::string& run_dir, GPT& model, const FusedAdamW& optimizer,
                     const TrainState& state, const std::string& config_yaml, int64_t keep,
                     const std::vector<int64_t>& kept_steps) {
  fs::create_directories(checkpoint_dir(run_dir));
  torch::serialize::OutputArchive archive;
  for (const auto& item : model->named_parameters())
    // A copy: a packed run's parameter is a view of its pack's stack, which must not be saved
    // whole.
    archive.write("model/" + item.key(),
                  item.value().detach().to(torch::TensorOptions().device(torch::kCPU),
                                           /*non_blocking=*/false, /*copy=*/true));
  optimizer.save(archive);
  archive.write("state/step", scalar(state.step));
  archive.write("state/tokens", scalar(state.tokens));
  archive.write("state/wall_time_s", scalar(state.wall_time_s));
  archive.write("state/best_val_loss", scalar(state.best_val_loss));
  archive.write("state/last_val_loss", scalar(state.last_val_loss));
  archive.write("state/evals_since_best", scalar(state.evals_since_best));
  archive.write("state/metrics_bytes", scalar(state.metrics_bytes));
  archive.write("rng/cpu", at::detail::getDefaultCPUGenerator().get_state());
  archive.write("config_yaml", c10::IValue(config_yaml));
  archive.write("format_version", scalar(int64_t(kCheckpointFormatVersion)));

  const std::string final_path = checkpoint_path(run_dir, state.step);
  write_archive_atomic(archive, final_path);
  prune_checkpoints(run_dir, keep, kept_steps);
}

TrainState load_checkpoint(const std::string& path, GPT& model, FusedAdamW* optimizer,
                           std::string* config_yaml) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(
        path, torch::Device(torch::kCPU));  // whatever device wrote it; copied to ours below
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": not a readable checkpoint (" + e.what_without_backtrace() +
                             ")");
  }
  torch::NoGradGuard no_grad;
  for (auto& item : model->named_parameters()) {
    torch::Tensor t;
    if (!archive.try_read("model/" + item.key(), t))
      throw std::runtime_error(path + ": has no parameter '" + item.key() +
                               "' (a different model?)");
    if (t.sizes() != item.value().sizes())
      throw std::runtime_error(path + ": parameter '" + item.key() + "' has shape " +
                               c10::str(t.sizes()) + ", the model expects " +
                               c10::str(item.value().sizes()));
    item.value().copy_(t);
  }
  TrainState s;
  auto read = [&](const char* key) {
    torch::Tensor t;
    archive.read(std::string("state/") + key, t);
    return t;
  };
  s.step = read("step").item<int64_t>();
  s.tokens = read("tokens").item<double>();
  s.wall_time_s = read("wall_time_s").item<double>();
  s.best_val_loss = read("best_val_loss").item<double>();
  s.last_val_loss = read("last_val_loss").item<double>();
  s.evals_since_best = read("evals_since_best").item<int64_t>();
  s.metrics_bytes = read("metrics_bytes").item<int64_t>();
  if (optimizer) {
    optimizer->load(archive);
    torch::Tensor rng;
    archive.read("rng/cpu", rng);
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(rng);
  }
  if (config_yaml) {
    c10::IValue v;
    archive.read("config_yaml", v);
    *config_yaml = v.toStringRef();
  }
  return s;
}

RunModel load_run_model(const std::string& run_dir) {
  namespace fs = std::filesystem;
  const fs::path config_path = fs::path(run_dir) / "config.yaml";
  if (!fs::is_regular_file(config_path))
    throw std::runtime_error("run folder " + run_dir + " has no config.yaml (not a scalelab run?)");
  std::ifstream in(config_path);
  const std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  RunModel run;
  run.config = parse_config(yaml, config_path.string());
  const auto checkpoint = newest_checkpoint(run_dir);
  if (!checkpoint)
    throw std::runtime_error("run folder " + run_dir + " has no checkpoint in checkpoints/");
  run.checkpoint = *checkpoint;
  run.model = GPT(run.config.model);
  std::string checkpoint_yaml;
  run.state = load_checkpoint(*checkpoint, run.model, nullptr, &checkpoint_yaml);
  // Equal shapes do not guarantee the same model (rope_theta, norm_eps): compare the sections.
  Config a, b;
  a.model = run.config.model;
  b.model = parse_config(checkpoint_yaml, *checkpoint).model;
  if (to_yaml(a) != to_yaml(b))
    throw std::runtime_error(*checkpoint + " was written with a model section that differs from " +
                             config_path.string());
  return run;
}

}  // namespace scalelab
