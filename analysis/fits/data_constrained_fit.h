// The data-constrained law (laws/data_constrained_law.h, Muennighoff et al. 2023) fitted to points
// that know their unique tokens U: R_D*, R_N* with a fresh-data fit held fixed, or all seven
// constants jointly.
#pragma once

#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/inputs/points.h"
#include "analysis/laws/data_constrained_law.h"

namespace scalelab {

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

}  // namespace scalelab
