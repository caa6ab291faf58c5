// The seed noise of one run's final loss, as the power analysis (design/) and the seeded fits
// (fits/seed_noise.h) model it: normal, with standard deviation sd = sd_coef (D/N)^sd_exponent
// (larger at fewer tokens per parameter), and runs that branch from one trunk sharing a part of it
// (correlation trunk_correlation between two branches of one trunk; none across trunks).
#pragma once

#include <cmath>

namespace scalelab {

struct NoiseModel {
  double sd_coef = 0.108, sd_exponent = -0.26, trunk_correlation = 0.77;
  double sd(double N, double D) const { return sd_coef * std::pow(D / N, sd_exponent); }
  // The demo's measured model (experiments/demo/NOISE.md, the `confirm` pilot: 16 seeds of the
  // recommended recipe, 3K-35K parameters, 8-710 tokens per parameter).
  static NoiseModel demo() { return {}; }
};

}  // namespace scalelab
