// Where a run's checkpoints live and how they are named: checkpoints/step_<8 digits>.pt. The one
// naming rule that the trainer (writing), the sweep runner and the estimator (reading) share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scalelab {

struct CheckpointFile {
  int64_t step = 0;
  std::string path;
};

std::string checkpoint_dir(const std::string& run_dir);
// run_dir/checkpoints/step_00000100.pt
std::string checkpoint_path(const std::string& run_dir, int64_t step);
// The step of a checkpoint file name, or -1 when the name is not one (e.g. an interrupted
// write's step_00000100.pt.tmp).
int64_t checkpoint_step(const std::string& path);
// Complete checkpoints, oldest first.
std::vector<CheckpointFile> list_checkpoints(const std::string& run_dir);
std::optional<std::string> newest_checkpoint(const std::string& run_dir);
// Deletes all but the newest `keep` checkpoints, and never those of the `kept_steps` (a trunk's
// branch points, until its branches have started).
void prune_checkpoints(const std::string& run_dir, int64_t keep,
                       const std::vector<int64_t>& kept_steps = {});

}  // namespace scalelab
