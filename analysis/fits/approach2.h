// Chinchilla approach 2 (Hoffmann et al. 2022, sec. 3.2): compute-optimal allocation
// N_opt(C) = k_N C^a, D_opt(C) = k_D C^b from the minima of IsoFLOP profiles.
#pragma once

#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/inputs/points.h"

namespace scalelab {

// One IsoFLOP budget: loss = c0 + c1 x + c2 x^2 with x = log N - x_mean (Hoffmann et al. 2022,
// sec. 3.2). Its minimum counts only when c2 > 0 and it lies inside the ladder of N.
struct IsoFlopProfile {
  double budget = 0;
  std::vector<double> N, loss;  // loss: each point's (seed mean) loss
  std::vector<double> weight;   // each point's weight in the parabola; empty = equal
  double x_mean = 0, c0 = 0, c1 = 0, c2 = 0;
  double N_opt = 0, loss_opt = 0;
  std::string refusal;  // empty when the budget is used
};

// Points grouped by budget (Point::budget, else C within 10%; fits/budget_minima.h); groups of
// < 3 sizes are refused.
std::vector<IsoFlopProfile> isoflop_profiles(const std::vector<Point>& pts);
// Weighted least squares when weights are given (one per point: the inverse variance of its mean).
IsoFlopProfile fit_isoflop_profile(double budget, const std::vector<double>& N,
                                   const std::vector<double>& loss,
                                   const std::vector<double>& weights = {});

// Approach 2: minima of the accepted budgets -> power laws in C (least squares in log-log, one
// point per budget). Throws naming the refused budgets when fewer than 2 remain.
// Without seeds (every point n = 1): unweighted parabolas; the bootstrap resamples runs within
// each budget. With seeds (runs sharing tags.point, inputs/seed_points.h): one point per
// configuration at its seed mean, each parabola weighted by the inverse variance of the means
// under the pooled noise model (fits/seed_noise.h), and the hierarchical bootstrap
// (fits/seed_bootstrap.h). opts.min_each_side > 0 refuses budgets whose lowest seed mean has fewer
// sizes on a side (fits/budget_minima.h), in both cases.
FitResult fit_approach2(const std::vector<Point>& pts, const FitOptions& opts);

}  // namespace scalelab
