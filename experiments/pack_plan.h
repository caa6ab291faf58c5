// What a dry run shows of packing (core/packing.h): the groups of runs the runner would train in
// one `scalelab train-packed` process each.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/runner.h"
#include "experiments/sweep.h"

namespace scalelab::sweep {

// Runs of one shape and one dependency level, in run order, up to pack_capacity a group
// (runner.h). The runner packs the runs that are ready when one starts, so when parents end at
// other times its groups can differ.
std::vector<std::vector<size_t>> plan_packs(const std::vector<Run>& runs,
                                            const RunnerOptions& options);

// "packing: 84 runs in 30 processes, up to 4 runs of one shape each (--no-pack: one each)" and
// the first groups by name.
std::string pack_plan_text(const std::vector<Run>& runs, const RunnerOptions& options);
nlohmann::json pack_plan_json(const std::vector<Run>& runs, const RunnerOptions& options);

}  // namespace scalelab::sweep
