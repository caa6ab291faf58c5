// What a sweep runner reads from and writes to a run folder: whether the run finished, can be
// resumed or has to start; the per-run lock; error.txt for failed runs.
#pragma once

#include <string>

namespace scalelab::sweep {

enum class FolderState {
  empty,      // nothing to continue: start fresh
  resumable,  // checkpoints but no summary.json: `train --resume`
  finished,   // summary.json (status finished or early_stopped)
  diverged,   // summary.json with status diverged: rerunning would diverge again
};

struct FolderInfo {
  FolderState state = FolderState::empty;
  std::string status;         // summary.json's status
  double final_val_loss = 0;  // NaN when unknown
  double wall_time_s = 0;
};

FolderInfo inspect_run_folder(const std::string& run_dir);

// An exclusive flock on run_dir/.lock, held for the object's lifetime (and by the training
// process, which inherits it), so two runners on the same grid never take the same run. The lock
// dies with the processes that hold it: a killed runner leaves no stale lock behind.
class RunLock {
 public:
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  bool held() const { return fd_ >= 0; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// The last n lines of a text file ("" when it cannot be read).
std::string last_lines(const std::string& path, int n);

}  // namespace scalelab::sweep
