#include "trainer/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace scalelab {
namespace fs = std::filesystem;

namespace {

torch::Tensor scalar(double v) { return torch::tensor(v, torch::kFloat64); }
torch::Tensor scalar(int64_t v) { return torch::tensor(v, torch::kInt64); }

int64_t step_of(const fs::path& p) {
  auto stem = p.stem().string();  // step_00000100
  if (p.extension() != ".pt" || stem.rfind("step_", 0) != 0) return -1;
  try {
    return std::stoll(stem.substr(5));
  } catch (...) {
    return -1;
  }
}

std::vector<std::pair<int64_t, fs::path>> list_checkpoints(const std::string& run_dir) {
  std::vector<std::pair<int64_t, fs::path>> out;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(checkpoint_dir(run_dir), ec))
    if (int64_t s = step_of(e.path()); s >= 0) out.emplace_back(s, e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string checkpoint_dir(const std::string& run_dir) { return (fs::path(run_dir) / "checkpoints").string(); }

void save_checkpoint(const std::string& run_dir, GPT& model, const FusedAdamW& optimizer,
                     const TrainState& state, const std::string& config_yaml, int64_t keep) {
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

  char name[64];
  std::snprintf(name, sizeof name, "step_%08ld.pt", static_cast<long>(state.step));
  const fs::path final_path = fs::path(checkpoint_dir(run_dir)) / name;
  const fs::path tmp_path = final_path.string() + ".tmp";
  archive.save_to(tmp_path.string());
  fs::rename(tmp_path, final_path);  // atomic on POSIX: readers see the old or the new file

  auto all = list_checkpoints(run_dir);
  for (size_t i = 0; i + keep < all.size(); ++i) fs::remove(all[i].second);
}

std::optional<std::string> newest_checkpoint(const std::string& run_dir) {
  auto all = list_checkpoints(run_dir);
  if (all.empty()) return std::nullopt;
  return all.back().second.string();
}

TrainState load_checkpoint(const std::string& path, GPT& model, FusedAdamW* optimizer,
                           std::string* config_yaml) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": not a readable checkpoint (" + e.what_without_backtrace() + ")");
  }
  torch::NoGradGuard no_grad;
  for (auto& item : model->named_parameters()) {
    torch::Tensor t;
    if (!archive.try_read("model/" + item.key(), t))
      throw std::runtime_error(path + ": has no parameter '" + item.key() + "' (a different model?)");
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

}  // namespace scalelab
