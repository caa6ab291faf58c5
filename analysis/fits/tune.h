// `scalelab tune`'s analysis: per model size, a parabola in log(lr) through the final validation
// losses of its learning-rate grid gives that size's optimum; across sizes, power laws lr_opt(N) =
// c N^-k (and B_opt(N) = c N^k when batch sizes were swept, from a parabola in log B through each
// batch's best loss) with residual-bootstrap intervals (Porian et al. 2024, section 3.5, tune lr,
// batch and beta2 per size the same way). A size whose best lr is at the edge of its grid has no
// located optimum: it is refused by name, saying which way to extend the grid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/inputs/points.h"
#include "core/hparams.h"

namespace scalelab {

// One finished tune run.
struct TuneObservation {
  std::string name;
  double N = 0, lr = 0, batch_tokens = 0, beta2 = 0, loss = 0;
  bool diverged = false;  // no loss: left out of the parabola, named when it bounds the optimum
};

// The runs of a tune sweep (tagged tune_lr, tune_batch_size, tune_block_size,
// tune_beta2 by `scalelab tune`);
// N under `count`. Runs without the tags are not tune runs and are skipped; diverged runs are kept
// with diverged = true.
std::vector<TuneObservation> tune_observations(const std::vector<Run>& runs, ParamCount count);

// loss = c0 + c1 x + c2 x^2, x = ln(lr) - x_mean, through one size's grid at one batch and beta2:
// through the lowest loss, its neighbour on each side, and up to kLrWindow - 1 more per side while
// their losses stay within kNearMinimum of the lowest. A loss-vs-lr curve is a parabola in log(lr)
// only near its minimum: far above it training degrades abruptly (losses of 6 and 75 beside 2.6).
inline constexpr size_t kLrWindow = 2;
// A parabola whose minimum lies more than kNearMinimum below the lowest loss is refused too.
inline constexpr double kNearMinimum = 0.1;  // relative to the lowest loss
struct LrCurve {
  double N = 0, batch_tokens = 0, beta2 = 0;
  std::vector<double> lr, loss;  // ascending lr, the whole grid
  std::vector<std::string> names;
  size_t fit_begin = 0, fit_end = 0;  // the points [fit_begin, fit_end) the parabola was fitted to
  double x_mean = 0, c0 = 0, c1 = 0, c2 = 0;
  double lr_opt = 0, loss_opt = 0;
  std::string refusal;               // non-empty: no interior minimum, and why (naming the size)
  double at(double lr_value) const;  // the parabola's loss at lr_value
};

struct TuneOptions {
  int n_bootstrap = 1000;  // residual-bootstrap resamples; 0 = no intervals
  uint64_t seed = 0;
  int n_threads = 0;
  std::string params_counted = "total";  // the N convention (recorded in hparams.json)
  double warmup_tokens_per_param = 0;    // recorded: the warmup the grid trained with
};

struct TuneResult {
  Hparams hparams;                   // the laws and the used sizes
  std::vector<LrCurve> curves;       // every (size, batch, beta2) curve, refused ones included
  std::vector<std::string> refused;  // one line per refused size (or batch fit), naming it
  std::vector<std::string> notes;    // e.g. why there is no interval, diverged runs
  int n_resamples_failed = 0;
};

// Fits one curve. Throws when it has fewer than 3 distinct learning rates ("a parabola needs 3").
// `diverged_lr`: learning rates of the same grid that diverged; when the best lr is the largest
// that trained, the refusal names the diverged one above it instead of asking for larger ones.
LrCurve fit_lr_curve(double N, double batch_tokens, double beta2, std::vector<double> lr,
                     std::vector<double> loss, std::vector<std::string> names,
                     const std::vector<double>& diverged_lr = {});

// Everything above. Throws one line when fewer than two sizes have an interior optimum (with each
// refusal), or when a grid has fewer than 3 learning rates.
TuneResult fit_tune(const std::vector<TuneObservation>& obs, const TuneOptions& opts);

// A person's summary: one line per size, the laws with their intervals, the refusals.
std::string format_tune(const TuneResult& r);

}  // namespace scalelab
