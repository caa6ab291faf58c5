// The dry run's measurement when no finished run on this machine can calibrate it: the sweep's
// smallest and largest model train 20 steps each in scratch folders, as many at once as the
// sweep will train (its CPU jobs share the cores and the memory bandwidth), with the sweep's
// threads per job.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "experiments/estimate.h"

namespace scalelab::sweep {

// `copies` processes at once (1 for GPU sweeps: each run has its own device) with `threads` CPU
// threads each. The rate of each model is the mean over its copies' logging intervals after the
// first (past the first steps' warm-up); Throughput::spread is their relative scatter and
// startup_s the processes' time before their first step. nullopt with *why set when a
// measurement fails or takes over timeout_s.
std::optional<Throughput> measure_throughput(const std::vector<Run>& runs,
                                             const std::string& binary, int threads, int copies,
                                             double timeout_s, std::string* why);

}  // namespace scalelab::sweep
