// A run folder's state as every reader sees it, and its claim by a starting run.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "runfolder/summary.h"

namespace scalelab {

enum class FolderState {
  empty,      // nothing to continue: start fresh
  resumable,  // checkpoints, and no summary or a paused one: `train --resume`
  finished,   // summary.json says finished or early_stopped
  diverged,   // summary.json says diverged: rerunning would diverge again
};

struct FolderInfo {
  FolderState state = FolderState::empty;
  std::optional<RunStatus> status;  // summary.json's, when it exists and reads
  double final_val_loss = std::numeric_limits<double>::quiet_NaN();
  double wall_time_s = 0;
  int64_t steps = 0;
  bool has_checkpoint = false;
};

// Reads only what a runner needs (status, final loss, time, steps) and never throws: a damaged
// summary.json leaves the folder to be judged by its checkpoints alone.
FolderInfo inspect_run_folder(const std::string& run_dir);

enum class RunStart { fresh, resume };

// Creates run_dir (or checks it) and writes config.yaml. A complete or diverged run is refused
// unless force (which clears the folder); a folder with checkpoints needs resume or force; resume
// needs a checkpoint and removes a summary it continues from. Errors name the folder and say what
// to do.
void claim_run_folder(const std::string& run_dir, const std::string& config_yaml, RunStart start,
                      bool force);

}  // namespace scalelab

namespace scalelab {

// Opens (creating) `path` close-on-exec and takes an exclusive flock without waiting: the open
// descriptor, or -1 when another open file description holds the lock. Throws when the file
// cannot be opened. The lock dies with the descriptor's last holder.
int try_lock_file(const std::string& path);

// An exclusive lock on run_dir/.train.lock for the lifetime of a training process, so that two
// `scalelab train` on one --out cannot interleave their files. The lock dies with the process
// (flock): a killed run leaves no stale lock. An empty run_dir holds no lock (ranks other than 0).
class TrainFolderLock {
 public:
  explicit TrainFolderLock(const std::string& run_dir);  // throws naming the holder's pid
  ~TrainFolderLock();
  TrainFolderLock(const TrainFolderLock&) = delete;
  TrainFolderLock& operator=(const TrainFolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace scalelab
