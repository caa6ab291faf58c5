// Data-constrained scaling (Muennighoff et al. 2023, "Scaling Data-Constrained Language Models",
// NeurIPS; github.com/huggingface/datablations, README "Parametric Fit"): Chinchilla's
// L = E + A/N^alpha + B/D^beta with N and D replaced by the effective parameters N' and effective
// data D' once the U unique tokens are repeated.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "analysis/fit_result.h"
#include "analysis/laws.h"
#include "analysis/points.h"

namespace scalelab {

struct DataConstrainedLaw {
  // Published fit (natural logs: ln A = 6.255414, ln B = 7.3049974, ln E = 0.6254804).
  ChinchillaLaw base{std::exp(0.6254804), std::exp(6.255414), std::exp(7.3049974), 0.3526596,
                     0.3526596};
  double R_D_star = 15.387756;  // e-folding (in repetitions) of the worth of repeated data
  double R_N_star = 5.309743;   // same for parameters beyond the Chinchilla-optimal N for U

  static DataConstrainedLaw muennighoff() { return {}; }

  // The Chinchilla-optimal N for D tokens under `base`: G (D G)^(beta / alpha) with
  // G = (alpha A / (beta B))^(1 / (alpha + beta)).
  double optimal_params_for_tokens(double D) const;

  // Unique tokens seen, U_D = min(U, D), and repetitions R_D = D / U_D - 1 (0 when D <= U).
  static double unique_seen(double D, double U) { return D < U ? D : U; }
  static double repetitions(double D, double U) { return D / unique_seen(D, U) - 1.0; }

  // D' = U_D + U_D R_D* (1 - exp(-R_D / R_D*)); D' = D when nothing repeats.
  double effective_data(double D, double U) const;
  // U_N = min(N, optimal_params_for_tokens(U_D)), R_N = N / U_N - 1,
  // N' = U_N + U_N R_N* (1 - exp(-R_N / R_N*)); N' = N when N <= U_N.
  double effective_params(double N, double D, double U) const;
  // E + A / N'^alpha + B / D'^beta.
  double loss(double N, double D, double U) const;
};

// "data-constrained" (the published constants) or a fits.json holding a `data_constrained` fit
// (from `scalelab fit --law data-constrained`). Throws naming what it expected.
DataConstrainedLaw data_constrained_law_by_name(const std::string& name_or_fits_path);

// The law of a fits.json entry "data_constrained".
DataConstrainedLaw data_constrained_from_fit(const FitResult& fit);

// True for "data-constrained" and for a readable fits.json holding a data_constrained fit.
bool names_data_constrained_law(const std::string& name_or_fits_path);

// Minimises law.loss(N, C / (6 N), U) over N in [1, C / 6]: a scan of 400 log-spaced N, then
// golden-section search in log N around the best. epochs = D / U.
struct DataConstrainedPlan {
  double flops, unique_tokens, params, tokens, epochs, loss;
};
DataConstrainedPlan plan_data_constrained(const DataConstrainedLaw& law, double C, double U);

// One sentence on what R_D* means, for the calculator and the docs.
std::string explain_r_d_star(double R_D_star);

// The fit. x = (a, b, e, alpha, beta, rd, rn) with A = e^a, B = e^b, E = e^e, R_D* = e^rd,
// R_N* = e^rn; log L_hat = LSE(a - alpha log N', b - beta log D', e); objective = sum of
// Huber_delta(log L_hat - log L) (as approach 3), analytic gradient.
struct DataConstrainedProblem {
  std::vector<double> log_n, log_d, log_u_seen, r_d, n, u_seen, log_loss;
  double delta = 1e-3;
  explicit DataConstrainedProblem(const std::vector<Point>& pts, double huber_delta = 1e-3);
  double objective(const std::vector<double>& x, std::vector<double>& g,
                   const std::vector<size_t>& idx) const;
  double objective(const std::vector<double>& x, std::vector<double>& g) const;
};

DataConstrainedLaw data_constrained_from_x(const std::vector<double>& x);
std::vector<double> data_constrained_to_x(const DataConstrainedLaw& law);

// Fits R_D*, R_N* with E, A, B, alpha, beta fixed to `base` (fresh_fit = the fits.json they came
// from, recorded in the procedure) or, when base is null, all seven jointly (initialised from
// approach 3 on the points that do not repeat their data, else on all points). Every point needs
// U > 0 (Point::U). Bootstrap intervals as approach 3 (case resampling, percentile 95%).
FitResult fit_data_constrained(const std::vector<Point>& pts, const FitOptions& opts,
                               const ChinchillaLaw* base = nullptr,
                               const std::string& fresh_fit = "");

// E, A, B, alpha, beta of a fresh-data fit in a fits.json (chinchilla_approach3, else the base of
// a data_constrained fit).
ChinchillaLaw fresh_law_from_fits(const std::string& fits_path);

}  // namespace scalelab
