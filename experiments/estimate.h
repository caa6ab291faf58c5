// How long runs take: a throughput model (FLOP rate against model size, from measurements) and
// the time of one run and of a sweep that trains several at once. The dry run (dry_run.h) and the
// runner's progress line (sweep_progress.h) both estimate through it.
#pragma once

#include <string>
#include <vector>

#include "experiments/sweep.h"

namespace scalelab::sweep {

// Training throughput at two model sizes; between them the FLOP rate is interpolated in log-log,
// outside them it is held at the nearer end. Sizes are FLOPs per token under the Chinchilla
// convention, which counts the embedding, logits and attention work that dominates tiny models.
struct Throughput {
  double small_flops_per_token = 0, small_tokens_per_s = 0;
  double large_flops_per_token = 0, large_tokens_per_s = 0;
  // The rates are whole runs' (tokens over the training process's life, evaluations and its
  // start included), not the steps' alone: nothing is added for evaluations.
  bool includes_evals = false;
  double startup_s = 0;  // added to every run: a training process's start before its first step
  double spread = 0;     // relative scatter of the measurements about the rates (0: not known)
  std::string source;    // what was measured, on which runs, under what parallelism
};

// Training FLOPs per token under the Chinchilla convention: the size axis of Throughput.
double cost_per_token(const Run& run);

// One measured rate: a model size and its tokens per second.
struct RatePoint {
  double flops_per_token = 0, tokens_per_s = 0;
};
// log(FLOP rate) against log(FLOPs per token) by least squares through the points (their mean
// rate when they are all one size), as a Throughput between the smallest and the largest size;
// `spread` is the points' RMS deviation from the line in log space (about the relative error of
// one run's rate). Throws on an empty list.
Throughput fit_throughput(const std::vector<RatePoint>& points);

// A user-given rate: tokens_per_s on the smallest model, the same FLOP rate for every size.
Throughput given_throughput(const std::vector<Run>& runs, double tokens_per_s);

// Seconds to train what one run trains itself (a branch: from its branch point), its evaluations
// (unless the rates include them) and its start.
double estimate_seconds(const Run& run, const Throughput& t);

// One run in a simulated schedule.
struct PlannedRun {
  double seconds = 0;    // its time (a running run: the time it has left)
  bool running = false;  // already going: it holds a slot from the start
  int after = -1;        // index of an earlier entry it waits for (its parent), -1: none
};
// When `parallel` slots have trained every run: the running ones first, then the others in their
// order (the runner's: parents first, longest first), each on the slot free first, once its
// parent has ended.
double makespan_seconds(const std::vector<PlannedRun>& runs, int parallel);

}  // namespace scalelab::sweep
