// `scalelab sweep --dry-run`: every run with N, D, C, its state on disk, and an estimated time
// from a throughput measured on the sweep's smallest and largest model.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "experiments/branching.h"
#include "experiments/sweep.h"

namespace scalelab::sweep {

// Training throughput at two model sizes; between them the FLOP rate is interpolated in log-log,
// outside them it is held at the nearer end. Sizes are FLOPs per token under the Chinchilla
// convention, which counts the embedding, logits and attention work that dominates tiny models.
struct Throughput {
  double small_flops_per_token = 0, small_tokens_per_s = 0;
  double large_flops_per_token = 0, large_tokens_per_s = 0;
  std::string source;  // how it was obtained, for the listing
};

// Trains the smallest and the largest run for a few steps each (scratch folders under /tmp) with
// `threads` CPU threads; nullopt with *why set when that fails or takes over `timeout_s`.
std::optional<Throughput> measure_throughput(const std::vector<Run>& runs,
                                             const std::string& binary, int threads,
                                             double timeout_s, std::string* why);
// A user-given rate: tokens_per_s on the smallest model, the same FLOP rate for every size.
Throughput given_throughput(const std::vector<Run>& runs, double tokens_per_s);

// Seconds to train one run (its training tokens plus its evaluations).
double estimate_seconds(const Run& run, const Throughput& t);

// The listing for people and for scripts. `jobs` divides the total time (an upper bound on speed:
// parallel jobs share memory bandwidth).
// "branching: 4 trunk(s), 12 branches; the sweep trains ... (1.8x less compute)", or "" without.
std::string savings_text(const ComputeSavings& savings);
std::string dry_run_table(const std::vector<Run>& runs, const std::string& out_root,
                          const std::optional<Throughput>& t, int jobs);
nlohmann::json dry_run_json(const std::vector<Run>& runs, const std::string& out_root,
                            const std::optional<Throughput>& t, int jobs);

}  // namespace scalelab::sweep
