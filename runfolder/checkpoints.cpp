#include "runfolder/checkpoints.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace scalelab {
namespace fs = std::filesystem;

std::string checkpoint_dir(const std::string& run_dir) {
  return (fs::path(run_dir) / "checkpoints").string();
}

std::string checkpoint_path(const std::string& run_dir, int64_t step) {
  char name[64];
  std::snprintf(name, sizeof name, "step_%08ld.pt", static_cast<long>(step));
  return (fs::path(checkpoint_dir(run_dir)) / name).string();
}

int64_t checkpoint_step(const std::string& path) {
  const fs::path p(path);
  const std::string stem = p.stem().string();
  if (p.extension() != ".pt" || stem.rfind("step_", 0) != 0 || stem.size() == 5) return -1;
  if (!std::all_of(stem.begin() + 5, stem.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stoll(stem.substr(5));
}

std::vector<CheckpointFile> list_checkpoints(const std::string& run_dir) {
  std::vector<CheckpointFile> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(checkpoint_dir(run_dir), ec))
    if (const int64_t step = checkpoint_step(e.path().string()); step >= 0)
      out.push_back({step, e.path().string()});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

std::optional<std::string> newest_checkpoint(const std::string& run_dir) {
  auto all = list_checkpoints(run_dir);
  if (all.empty()) return std::nullopt;
  return all.back().path;
}

void prune_checkpoints(const std::string& run_dir, int64_t keep,
                       const std::vector<int64_t>& kept_steps) {
  const auto all = list_checkpoints(run_dir);
  for (size_t i = 0; i + size_t(keep) < all.size(); ++i)
    if (std::find(kept_steps.begin(), kept_steps.end(), all[i].step) == kept_steps.end())
      fs::remove(all[i].path);
}

}  // namespace scalelab
