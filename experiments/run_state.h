// What a sweep runner keeps beside the run-folder contract (runfolder/): the per-run lock, the
// tail of a failed run's output, and where a running run is (its newest metrics lines).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
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
// The last line of text that is not blank.
std::string last_nonempty_line(const std::string& text);

// A run's newest train line and newest evaluation of metrics.jsonl (docs/formats.md), read from
// the file's tail: where a running run is, without reading a long log from its start.
struct LastMetrics {
  int64_t step = 0;  // the newest train line's
  double tokens = 0, tokens_per_s = 0, elapsed_s = 0;
  double loss = std::numeric_limits<double>::quiet_NaN();
  int64_t eval_step = -1;  // the newest evaluation's step; -1 when none ran yet
  double val_loss = std::numeric_limits<double>::quiet_NaN();
  // Tokens over elapsed time since the run started (evaluations included): steadier than one
  // logging interval's tokens_per_s, which is what an ETA needs.
  double run_tokens_per_s() const { return elapsed_s > 0 ? tokens / elapsed_s : tokens_per_s; }
};
// nullopt when the run has logged no train line yet (or has no metrics.jsonl).
std::optional<LastMetrics> last_metrics(const std::string& run_dir);

}  // namespace scalelab::sweep
