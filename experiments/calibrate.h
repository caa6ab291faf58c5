// The dry run's calibration from runs that finished on this machine: a sweep's output folder
// records (sweep_state.json) for each run the machine, the parallelism, and how long its training
// process lived; with the summaries' tokens and FLOPs that is each run's whole-run throughput
// (evaluations and the process's start included), the best predictor of the next runs here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "experiments/estimate.h"

namespace scalelab::sweep {

struct Calibration {
  std::optional<Throughput> throughput;  // nullopt when no run qualified
  std::vector<std::string> notes;        // folders or runs left out, and why
};

// Reads the sweep_state.json of each sweep output folder in `out_roots`: the runs a runner
// trained start to end in one process (not resumed, not branches) on this host with `jobs` runs
// at once and `threads` threads each (a rate under other parallelism would mislead: those are
// counted in the notes) give D / process time at their FLOPs per token, fitted by fit_throughput.
Calibration calibrate_from_finished(const std::vector<std::string>& out_roots, int jobs,
                                    int threads);

}  // namespace scalelab::sweep
