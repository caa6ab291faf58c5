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

#include "runfolder/checked_io.h"
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

// Writes the archive to path.tmp through our own checked writer, then renames it over path. The
// writer never reports a short write to LibTorch (whose stream writer then fails in a destructor
// and aborts the process); it records the first error, and the error is thrown here, naming the
// file and the reason (e.g. "No space left on device"), with the previous checkpoint kept.
void write_archive_atomic(torch::serialize::OutputArchive& archive, const std::string& path) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(io_error(tmp, "create the checkpoint", errno));
  int error = 0;
  archive.save_to([&](const void* data, size_t n) -> size_t {
    for (size_t done = 0; error == 0 && done < n;) {
      const ssize_t w = ::write(fd, static_cast<const char*>(data) + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0)
        error = w < 0 ? errno : EIO;
      else
        done += size_t(w);
    }
    return n;
  });
  if (error == 0 && ::fsync(fd) != 0 && errno != EINVAL) error = errno;
  ::close(fd);
  if (error != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(io_error(path, "write the checkpoint", error) +
                             (error == ENOSPC ? "" : "; the previous checkpoint is kept"));
  }
  fs::rename(tmp, path);  // atomic on POSIX: readers see the old or the new file
}

}  // namespace

void save_checkpoint(const std::string& run_dir, GPT& model, const FusedAdamW& optimizer,
                     const TrainState& state, const std::string& config_yaml, int64_t keep,
                     const std::vector<int64_t>& kept_steps) {
  fs::create_directories(checkpoint_dir(run_dir));
  torch::serialize::OutputArchive archive;
  for (const auto& item : model->named_parameters())
    archive.write("model/" + item.key(), item.value().detach().to(torch::kCPU));
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
