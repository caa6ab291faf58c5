// The Multi-Power Law (laws/multipower_law.h, Luo et al. 2025) fitted to loss curves of one model
// size under several schedules (inputs/loss_curves.h).
#pragma once

#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/inputs/loss_curves.h"
#include "analysis/laws/multipower_law.h"

namespace scalelab {

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
  int evaluations = 0;  // of the objective, every start together
};
// L-BFGS from the data-derived starts (MultiPowerProblem::starts), screened: each start runs a
// few iterations, the lowest two go on to convergence (fits.json procedure.screening).
MultiPowerFit fit_multipower_law(const std::vector<LossCurve>& curves, int n_threads = 0);

// fits.json entry "multipower"; the bootstrap resamples points within each curve (stratified by
// curve), so every resample keeps every schedule.
FitResult fit_multipower(const std::vector<LossCurve>& curves, const FitOptions& opts);

}  // namespace scalelab
