// The Multi-Power Law (Luo et al., ICLR 2025, "A Multi-Power Law for Loss Curve Prediction Across
// Learning Rate Schedules"): the loss of one model size along a training run, from its
// learning-rate schedule alone.
//
//   L(t) = L0 + A (S1(t) + S_W)^-alpha - LD(t)
//   LD(t) = B sum_{k=1..t} (lr_{k-1} - lr_k) G(lr_k^-gamma S_k(t)),  G(x) = 1 - (C x + 1)^-beta
//
// with t the step counted from the start of training, S_W the warmup's lr sum, S1(t) the lr sum
// of the steps after the warmup up to t (so S1 + S_W = sum_{k=1..t} lr_k), S_k(t) =
// sum_{tau=k..t} lr_tau, and lr_0 = 0 (the lr before the first step). The LD sum runs over every
// step, the warmup's included, where the lr rises (lr_{k-1} - lr_k < 0): that adds about
// B lr_peak to the loss and is how Luo et al. evaluate the law and fitted their constants (summed
// over the post-warmup steps only, their constants predict every curve ~4% too low).
//
// Steps are 1-based: lr[s - 1] is the lr of step s (s = 1..T). A run's metrics (step = steps
// done, lr of step i from learning_rate(i) for i = 0..) map onto this by s = i + 1.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/fit_result.h"
#include "configs/config.h"

namespace scalelab {

struct MultiPowerLaw {
  double L0 = 0, A = 0, alpha = 0, B = 0, C = 0, beta = 0, gamma = 0;
  static constexpr int kParams = 7;
  static const std::array<const char*, kParams> names;  // L0, A, alpha, B, C, beta, gamma
  std::array<double, kParams> values() const { return {L0, A, alpha, B, C, beta, gamma}; }
  static MultiPowerLaw from_values(const std::array<double, kParams>& v);
  // Luo et al.'s fits on their 25M and 100M models (tests/data/multipower/README.md).
  static MultiPowerLaw published_25m();
  static MultiPowerLaw published_100m();
};

// How LD is summed. Only steps whose lr changes contribute (lr_{k-1} = lr_k gives 0), so a
// constant or step schedule costs O(changes) per evaluated step. For smooth decays the terms more
// than `exact_window` steps before t are merged in aligned blocks of `block` steps: each block of
// same-signed changes becomes one term at the change-weighted mean of lr and of S_k(t) (a midpoint
// rule in the measure lr_{k-1} - lr_k; blocks whose changes differ in sign, or whose lr moves by
// more than 10%, stay exact). The error is second order in block / distance: below 1e-6 relative
// on the published curves (tests/test_multipower.cpp). exact_window < 0 = every change summed
// exactly.
struct MultiPowerSum {
  int64_t exact_window = 512;
  int64_t block = 32;
  static MultiPowerSum exact() { return {-1, 1}; }
};

// One schedule's per-step lr prepared for repeated evaluation at fixed steps (a fit evaluates
// thousands of parameter vectors on the same curves).
class MultiPowerCurve {
 public:
  // lr[s - 1] = lr of step s; steps = the steps (1..lr.size()) at which to evaluate the law.
  MultiPowerCurve(const std::vector<double>& lr, const std::vector<int64_t>& steps,
                  const MultiPowerSum& sum = {});
  // Predicted loss at every step; with grad, d L / d (L0, A, alpha, B, C, beta, gamma) per step.
  void evaluate(const MultiPowerLaw& law, std::vector<double>& loss,
                std::vector<std::array<double, MultiPowerLaw::kParams>>* grad = nullptr) const;
  std::vector<double> predict(const MultiPowerLaw& law) const;
  const std::vector<int64_t>& steps() const { return steps_; }
  size_t n_terms() const;  // LD terms summed per evaluation, all steps together

 private:
  struct Term {
    double w, log_lr, P;  // w G(exp(-gamma log_lr) (P_t - P))
  };
  std::vector<int64_t> steps_;
  std::vector<double> Z_, P_;  // per step: S1(t) + S_W, and P_t = S1(t)
  std::vector<Term> terms_;
  std::vector<std::pair<size_t, size_t>> block_range_, exact_range_;  // per step, into terms_
};

// The direct O(t^2) sum, for tests: L at step s exactly as the formula reads.
double multipower_direct(const MultiPowerLaw& law, const std::vector<double>& lr, int64_t step);

// --- Learning-rate sequences ---

// The nine schedules of Luo et al.'s 25M/100M runs (tests/data/multipower/README.md), by file
// name without .csv: cosine_24000, cosine_72000, constant_24000, constant_72000,
// wsd_20000_24000, wsdld_20000_24000, wsdcon_3, wsdcon_9, wsdcon_18. lr of step s (linear warmup
// from 0 over 2,160 steps to 3e-4). Throws for another name.
double luo_schedule_lr(const std::string& name, int64_t step);
constexpr int64_t kLuoWarmup = 2160;
// Their total steps: 24000, 72000 or 16000.
int64_t luo_schedule_steps(const std::string& name);
std::vector<double> luo_schedule(const std::string& name);  // lr of steps 1..total

// A resolved scalelab schedule: lr[s - 1] = learning_rate(schedule, optim, s - 1, total).
std::vector<double> schedule_lrs(const ScheduleConfig& schedule, const OptimConfig& optim,
                                 int64_t total_steps);
// Throws one line when the law cannot be evaluated for the schedule (lr <= 0 at the peak, no
// step after the warmup, a min_lr above lr).
void check_multipower_schedule(const ScheduleConfig& schedule, const OptimConfig& optim,
                               int64_t total_steps);

// --- Curves and the fit ---

struct LossCurve {
  std::string name;               // file or run name
  std::string lr_source;          // how lr per step was obtained (goes into fits.json)
  std::vector<double> lr;         // lr[s - 1] = lr of step s
  int64_t warmup = 0;             // steps 1..warmup are the warmup (their losses not fitted)
  std::vector<int64_t> steps;     // steps with a measured loss, >= warmup, ascending
  std::vector<double> loss;       // measured loss at those steps
  int64_t dropped_in_warmup = 0;  // logged points before the warmup's end, not fitted
};

// A CSV with columns step, lr, loss (header line; other columns ignored). lr per step is
// interpolated linearly between the sampled rows (and from lr 0 at step 0 to the first row); the
// warmup ends at the first row with the largest lr. Throws one line naming the file when a column
// is missing (an lr column above all: the law needs the schedule).
LossCurve read_multipower_csv(const std::string& path);
// A run folder: train losses of metrics.jsonl, lr per step from summary.config's schedule and
// optim (core/schedule.h) over summary.budget_steps.
LossCurve read_multipower_run(const std::string& run_dir);
// Each path: a .csv file, a folder of .csv files, a run folder or a folder of run folders.
// Run folders must all have the same parameter count (one model size). A curve of more than 1,000
// points is thinned to every k-th point (and its last), with a note.
std::vector<LossCurve> load_multipower_curves(const std::vector<std::string>& paths,
                                              std::vector<std::string>& notes);

// Summed Huber (delta) of log L_hat - log L over every point of every curve, weighted
// (weights[c][i] = multiplicity of point i of curve c; empty = 1 each). x = (L0, log A, alpha,
// log B, log C, beta, gamma); g gets its gradient.
class MultiPowerProblem {
 public:
  MultiPowerProblem(const std::vector<LossCurve>& curves, double delta = 1e-3,
                    const MultiPowerSum& sum = {});
  double objective(const std::vector<double>& x, std::vector<double>& g,
                   const std::vector<std::vector<double>>* weights = nullptr) const;
  static MultiPowerLaw law_from_x(const std::vector<double>& x);
  static std::vector<double> x_from_law(const MultiPowerLaw& law);
  // Generic starting points derived from the data only (never the published answer): a grid over
  // alpha, B, C, beta, gamma, with L0 just below the lowest loss and A matching the first point.
  std::vector<std::vector<double>> starts() const;
  const std::vector<MultiPowerCurve>& curves() const { return evals_; }
  const std::vector<LossCurve>& data() const { return data_; }

 private:
  std::vector<LossCurve> data_;
  std::vector<MultiPowerCurve> evals_;
  double delta_;
};

struct MultiPowerFit {
  MultiPowerLaw law;
  double objective = 0;
  size_t n_starts = 0;
};
MultiPowerFit fit_multipower_law(const std::vector<LossCurve>& curves, int n_threads = 0);

// fits.json entry "multipower"; the bootstrap resamples points within each curve (stratified by
// curve), so every resample keeps every schedule.
FitResult fit_multipower(const std::vector<LossCurve>& curves, const FitOptions& opts);
MultiPowerLaw multipower_from_fit(const FitResult& fit);

// Mean and largest |L_hat / L - 1| over the given points.
struct RelativeError {
  double mean = 0, worst = 0, final = 0;  // final: at the last point
};
RelativeError relative_error(const std::vector<double>& predicted,
                             const std::vector<double>& measured);

}  // namespace scalelab
