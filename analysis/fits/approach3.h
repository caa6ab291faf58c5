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
// N_opt = G (C/6)^a. opts.approach3_method:
//   varpro (default, fits/varpro.h): without seeds, every point with Besiroglu et al.'s objective
//     (residual on log L, Huber 1e-3), case-resampled, each resample refined on the profile from
//     the full-data exponents; with seeds (inputs/seed_points.h), one point per configuration at
//     its seed mean, the residual divided by that mean's standard error in log space under the
//     pooled noise model (fits/seed_noise.h) with Huber 1.345 (95% efficient under the normal
//     noise measured), and the hierarchical bootstrap (fits/seed_bootstrap.h);
//   grid: the published 4,500-start L-BFGS on every run as a point (seeds unweighted); resamples
//     start from the full-data optimum and a small grid around it.
FitResult chinchilla_approach3(const std::vector<Point>& pts, const FitOptions& opts);

// VarPro's half of chinchilla_approach3 (fits/approach3_varpro.cpp).
FitResult chinchilla_approach3_varpro(const std::vector<Point>& pts, const FitOptions& opts);
// E, A, B, alpha, beta, a, b, G of a law: the constants of chinchilla_approach3, in order.
std::vector<double> approach3_constants(const ChinchillaLaw& law);
inline const char* const kApproach3Names[] = {"E", "A", "B", "alpha", "beta", "a", "b", "G"};

// The checks every approach 3 fit makes first: 6 distinct (N, D), 3 distinct N and D.
void require_approach3_points(const std::vector<Point>& pts);

}  // namespace scalelab
