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
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

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
// constant or step schedule costs O(changes) per evaluated step. For smooth decays the changes
// more than `exact_window` steps before t are merged in aligned blocks of `block` steps, a block
// doubling in size each time its distance from t doubles (block / distance stays below block /
// exact_window, and a step sums O(exact_window + log t) terms instead of O(t)): each block of
// same-signed changes becomes one term at the change-weighted mean of lr and of S_k(t) (a midpoint
// rule in the measure lr_{k-1} - lr_k); a block whose changes differ in sign, or whose lr moves by
// more than 10%, is summed as its two halves (down to exact terms). The error is second order in
// block / distance: below 1e-6 relative on the published curves
// (tests/unit/test_analysis_multipower.cpp). exact_window < 0 = every change summed exactly.
struct MultiPowerSum {
  int64_t exact_window = 64;
  int64_t block = 4;
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
  size_t n_terms() const { return uses_.size(); }  // LD terms per evaluation, all steps

 private:
  struct Term {
    double w, log_lr;  // w G(C exp(-gamma log_lr) S): one change of the lr, or a merged block
  };
  struct Use {
    double S;       // S_k(t) of the term at this step
    uint32_t term;  // into terms_
  };
  std::vector<int64_t> steps_;
  std::vector<double> Z_;          // per step: S1(t) + S_W
  std::vector<Term> terms_;        // every term some step sums (multipower_sum.cpp)
  std::vector<Use> uses_;          // step j sums uses_[first_use_[j] .. first_use_[j + 1])
  std::vector<size_t> first_use_;  // size steps + 1
};

// The direct O(t^2) sum, for tests: L at step s exactly as the formula reads.
double multipower_direct(const MultiPowerLaw& law, const std::vector<double>& lr, int64_t step);

// Mean and largest |L_hat / L - 1| over the given points.
struct RelativeError {
  double mean = 0, worst = 0, final = 0;  // final: at the last point
};
RelativeError relative_error(const std::vector<double>& predicted,
                             const std::vector<double>& measured);

}  // namespace scalelab
