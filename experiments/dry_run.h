// `scalelab sweep --dry-run`: every run with N, D, C, its state on disk and an estimated time. The
// estimate says what it assumes (runs at once, threads, the throughput and where it was measured,
// its scatter), and is recorded in OUT_ROOT/dry_run_estimate.json so that the runner, when it has
// trained those runs, says how long they took against it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "experiments/branching.h"
#include "experiments/estimate.h"
#include "experiments/sweep.h"

namespace scalelab::sweep {

struct DryRunPlan {
  std::optional<Throughput> throughput;  // nullopt: no estimate
  int parallel = 1;                      // runs at once (CPU jobs or GPUs)
  int threads = 0;                       // CPU threads per job (0 on GPUs)
  bool rerun_changed = false;            // changed finished runs count as to train
  std::vector<std::string> notes;        // why no estimate, calibration folders left out
};

// "branching: 4 trunk(s), 12 branches; the sweep trains ... (1.8x less compute)", or "" without.
std::string savings_text(const ComputeSavings& savings);

// A run's state on disk: new, resume, done, changed (finished with other settings: kept unless
// --rerun-changed), diverged, or regrow (a branch whose trunk lacks its checkpoint).
std::string dry_run_state(const Run& run, const std::string& out_root);

// Seconds until the runs still to train have trained, `parallel` at once in the runner's order.
double sweep_estimate_seconds(const std::vector<Run>& runs, const std::string& out_root,
                              const DryRunPlan& plan);

std::string dry_run_table(const std::vector<Run>& runs, const std::string& out_root,
                          const DryRunPlan& plan);
nlohmann::json dry_run_json(const std::vector<Run>& runs, const std::string& out_root,
                            const DryRunPlan& plan);

// Writes OUT_ROOT/dry_run_estimate.json (when, the runs still to train, the estimate and its
// basis); nothing without an estimate.
void record_estimate(const std::vector<Run>& runs, const std::string& out_root,
                     const DryRunPlan& plan);

// "the dry run of <UTC> estimated 11m33s for these 12 runs; they took 16m53s (1.46x)", when
// OUT_ROOT/dry_run_estimate.json was made for exactly the runs `trained` names; else "". *record
// gets the comparison for sweep_state.json.
std::string estimate_check(const std::string& out_root, const std::vector<std::string>& trained,
                           double took_s, nlohmann::json* record);

}  // namespace scalelab::sweep
