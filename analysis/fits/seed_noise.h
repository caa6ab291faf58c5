// The pooled noise model of a study's seeds (issue 25 item 2), behind every seeded fit's weights
// and its bootstrap (fits/seed_bootstrap.h). With three seeds a point's own standard deviation has
// 2 degrees of freedom (its 95% range is 0.16x to 1.9x the truth), too few to weight by, so every
// point's sd comes from one model fitted to all of them:
//   sd(N, D) = sd_coef (D/N)^sd_exponent  (laws/noise_model.h; the form NOISE.md measured),
// by maximum likelihood on the sample variances (s_i^2 ~ sigma_i^2 chi2_nu / nu, nu = n_i - 1:
// minimise SUM nu_i (log sigma_i^2 + s_i^2 / sigma_i^2), Newton in (log sigma^2 at the mean,
// slope)); the exponent is fitted only when the points with seeds have at least 3 distinct D/N
// spanning a factor of 2, else it is 0 and the model is the pooled variance SUM nu s^2 / SUM nu.
// Trunk correlation: over every pair of points that share a trunk, the pooled correlation of the
// trunk's standardised deviations from the two points' means, SUM z_i z_j / SUM (z_i^2 + z_j^2)/2,
// clamped to [0, 0.99] (0 when no trunk spans two points; it then plays no part).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "analysis/inputs/seed_points.h"
#include "analysis/laws/noise_model.h"

namespace scalelab {

struct PooledNoise {
  NoiseModel model;
  int dof = 0;  // SUM (n_i - 1): 0 when no point has two seeds (the model is then unused)
  int points_with_seeds = 0;
  int trunk_pairs = 0;  // (trunk, point, point) triples behind the correlation
  bool exponent_fitted = false;
  nlohmann::json to_json() const;
};
PooledNoise estimate_noise(const std::vector<SeedPoint>& pts);

// The variance of each point's mean under the model: sd(N_i, D_i)^2 / n_i.
std::vector<double> mean_variances(const std::vector<SeedPoint>& pts, const NoiseModel& m);

}  // namespace scalelab
