// Chinchilla approach 3 (Hoffmann et al. 2022, sec. 3.3 and eq. 2): L(N, D) = E + A/N^alpha +
// B/D^beta fitted in log space with a summed Huber loss, as re-done by Besiroglu et al. 2024.
#pragma once

#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/inputs/points.h"
#include "analysis/laws/laws.h"

namespace scalelab {

// x = (a, b, e, alpha, beta) with A = exp(a), B = exp(b), E = exp(e).
struct Approach3Problem {
  std::vector<double> log_n, log_d, log_loss;
  double delta = 1e-3;
  explicit Approach3Problem(const std::vector<Point>& pts, double huber_delta = 1e-3);
  // sum_i Huber_delta(LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i), gradient into g.
  double objective(const std::vector<double>& x, std::vector<double>& g) const;
  // Same on a resample (indices may repeat).
  double objective(const std::vector<double>& x, std::vector<double>& g,
                   const std::vector<size_t>& idx) const;
};

// The 4,500-point grid: alpha, beta in {0, 0.5, ..., 2}, e in {-1, -0.5, ..., 1},
// a, b in {0, 5, ..., 25} (Hoffmann et al. 2022, appendix D.2).
std::vector<std::vector<double>> approach3_grid();

ChinchillaLaw law_from_x(const std::vector<double>& x);

struct Approach3Fit {
  ChinchillaLaw law;
  std::vector<double> x;
  double objective = 0;
};
// L-BFGS from every start of approach3_grid(); keeps the lowest objective.
Approach3Fit fit_approach3(const std::vector<Point>& pts, double huber_delta = 1e-3,
                           int n_threads = 0);

// Full fit plus bootstrap intervals for E, A, B, alpha, beta and the derived a = beta/(alpha+beta),
// b = alpha/(alpha+beta) (N_opt ~ C^a, D_opt ~ C^b; Hoffmann et al. 2022, eq. 4), and G of
// N_opt = G (C/6)^a. Resamples start from the full-data optimum and a small grid around it.
FitResult chinchilla_approach3(const std::vector<Point>& pts, const FitOptions& opts);

}  // namespace scalelab
