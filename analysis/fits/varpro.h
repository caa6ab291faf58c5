// Approach 3 by variable projection (Golub & Pereyra 1973; for this law, arXiv 2603.22339): for
// fixed exponents (alpha, beta), L = E + A / N^alpha + B / D^beta is linear in (E, A, B), so those
// three are solved for (non-negative, Huber by iteratively reweighted least squares) and only
// (alpha, beta) is searched: a dense grid over the whole box, then L-BFGS on the profile from the
// best grid minima. No start grid over five constants, and the global optimum of the box is found.
//
// The objective is Besiroglu et al.'s (2024): SUM_i Huber_delta(r_i) with the residual on log L,
// r_i = (log L_hat_i - log L_i) / s_i. With s_i = 1 and delta = 1e-3 it is their objective exactly
// (analysis/README.md, "Approach 3"); a study with seeds sets s_i to each point's standard error in
// log space and delta = 1.345 (fits/approach3.h).
#pragma once

#include <string>
#include <vector>

#include "analysis/inputs/points.h"
#include "analysis/laws/laws.h"

namespace scalelab {

struct VarProData {
  std::vector<double> log_n, log_d, log_loss;
  std::vector<double> scale;  // residual scale s_i per point; empty = 1 for every point
  double delta = 1e-3;        // Huber threshold, in units of s_i
};
VarProData varpro_data(const std::vector<Point>& pts, double delta = 1e-3);
// The points idx (repeats allowed) of d: a case-resampled data set.
VarProData varpro_subset(const VarProData& d, const std::vector<size_t>& idx);

// The search box of both exponents. An optimum on its edge is reported (VarProFit::at_bounds).
struct VarProOptions {
  double exponent_lo = 0.01, exponent_hi = 2.5;
  int grid = 32;        // log-spaced values per exponent
  int refine_from = 3;  // L-BFGS from this many of the lowest grid minima
  int n_threads = 0;    // grid rows over threads (0 = hardware concurrency); result independent
};

struct VarProFit {
  double E = 0, A = 0, B = 0, alpha = 0, beta = 0;
  double objective = 0;
  int profile_evaluations = 0;
  // Constants on an edge of their search region: "alpha = 2.5 (the upper search bound)",
  // "E = 0 (the non-negativity bound)".
  std::vector<std::string> at_bounds;
  ChinchillaLaw law() const { return {E, A, B, alpha, beta}; }
};

// For fixed exponents: the non-negative (E, A, B) minimising the objective, the objective there
// and its gradient in (alpha, beta) (envelope theorem: the inner optimum's own derivatives vanish
// or are held at a bound). `warm` (E, A, B) starts the inner iterations when given.
struct ProfileValue {
  double f = 0, E = 0, A = 0, B = 0, d_alpha = 0, d_beta = 0;
};
ProfileValue varpro_profile(const VarProData& d, double alpha, double beta,
                            const double* warm = nullptr);

// Global: the grid, then L-BFGS from its lowest local minima; keeps the lowest objective.
VarProFit fit_varpro(const VarProData& d, const VarProOptions& o = {});
// Local: L-BFGS on the profile from (alpha0, beta0), for bootstrap resamples near the full fit.
VarProFit refine_varpro(const VarProData& d, double alpha0, double beta0,
                        const VarProOptions& o = {});

}  // namespace scalelab
