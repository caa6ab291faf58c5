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
  std::vector<double> N, loss;
  double x_mean = 0, c0 = 0, c1 = 0, c2 = 0;
  double N_opt = 0, loss_opt = 0;
  std::string refusal;  // empty when the budget is used
};

// Points grouped by budget (Point::budget, else C within 10%); groups of < 3 sizes are refused.
std::vector<IsoFlopProfile> isoflop_profiles(const std::vector<Point>& pts);
IsoFlopProfile fit_isoflop_profile(double budget, const std::vector<double>& N,
                                   const std::vector<double>& loss);

// Approach 2: minima of the accepted budgets -> power laws in C. Throws naming the refused
// budgets when fewer than 2 remain. Bootstrap resamples runs within each budget.
FitResult fit_approach2(const std::vector<Point>& pts, const FitOptions& opts);

}  // namespace scalelab
