// What a sweep runner keeps beside the run-folder contract (runfolder/): the per-run lock and the
// tail of a failed run's output.
#pragma once

#include <string>

#include "runfolder/folder.h"

namespace scalelab::sweep {

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
