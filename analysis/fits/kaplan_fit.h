// Kaplan et al. 2020 laws fitted to the user's runs: L(N) (eq. 1.1), L(D) (eq. 1.2), L(N, D)
// (eq. 1.5) and the compute frontier L(C_min) (eq. 1.3).
#pragma once

#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/fits/frontier.h"
#include "analysis/inputs/points.h"

namespace scalelab {

// L(N) = (Nc/N)^alpha_N on each N's lowest loss (the least data-limited point of that size).
FitResult fit_kaplan_n(const std::vector<Point>& pts, const FitOptions& opts);
// L(D) = (Dc/D)^alpha_D on each D's lowest loss (the least size-limited point at that D).
FitResult fit_kaplan_d(const std::vector<Point>& pts, const FitOptions& opts);
// L(N, D) = [(Nc/N)^(alpha_N/alpha_D) + Dc/D]^alpha_D: log space, summed Huber (delta 1e-3) as in
// approach 3, L-BFGS from a 300-point grid.
FitResult fit_kaplan_nd(const std::vector<Point>& pts, const FitOptions& opts);
// L(C) = (Cc/C)^alpha_C on the frontier (from curves when runs are given, else final points).
FitResult fit_kaplan_c(const std::vector<Point>& pts, const std::vector<Run>& runs,
                       ParamCount count, const FitOptions& opts);

}  // namespace scalelab
