// The sweep's progress line while it trains: runs ended, running and left, and when the sweep
// should end, from the throughput its own runs measure (each running run's tokens over its time
// so far, the whole-run rate of the runs it has trained; else the rates of runs finished before).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "experiments/sweep.h"

namespace scalelab::sweep {

struct RunProgress {
  enum class Phase { left, running, ended };
  const Run* run = nullptr;
  Phase phase = Phase::left;
  bool failed = false;        // ended: failed, diverged or blocked
  bool trained_here = false;  // ended: trained by this runner (its rate is this sweep's)
  int parent = -1;            // index of the run it waits for, when that one has not ended
  double tokens_done = 0;     // running: the newest metrics line's tokens
  // Running: tokens over elapsed time at its newest metrics line. Ended: what it trained over the
  // training process's life (0: not known, e.g. skipped).
  double tokens_per_s = 0;
};

struct ProgressEstimate {
  int ended = 0, failed = 0, running = 0, left = 0;
  std::optional<double> eta_s;  // nullopt until some run has measured a rate
  int n_rates = 0;              // the measured rates the ETA rests on
};

// Runs in the runner's order (parents first, longest first); `parallel` at once.
ProgressEstimate estimate_progress(const std::vector<RunProgress>& runs, int parallel);

// "[sweep] progress: 3/12 ended (1 failed), 2 running, 7 left; ETA 4m10s (2 at a time; from 3
// measured rates)".
std::string progress_line(const ProgressEstimate& e, int parallel);

}  // namespace scalelab::sweep
