// Bootstrap: determinism, stratification, and interval coverage at about the nominal rate.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/numerics/bootstrap.h"
#include "analysis/numerics/optimize.h"

using namespace scalelab;

TEST(Bootstrap, ResamplesDependOnlyOnSeed) {
  BootstrapOptions a{5, 42}, b{5, 42}, c{5, 43};
  EXPECT_EQ(resample_indices(20, a), resample_indices(20, b));
  EXPECT_NE(resample_indices(20, a), resample_indices(20, c));
}

TEST(Bootstrap, StrataKeepTheirSizes) {
  BootstrapOptions o{50, 1};
  o.strata = {0, 0, 0, 1, 1, 2, 2, 2, 2};
  for (const auto& idx : resample_indices(o.strata.size(), o)) {
    int count[3] = {0, 0, 0};
    for (size_t i : idx) ++count[o.strata[i]];
    EXPECT_EQ(count[0], 3);
    EXPECT_EQ(count[1], 2);
    EXPECT_EQ(count[2], 4);
  }
}

TEST(Bootstrap, QuantileInterpolatesLikeNumpy) {
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 1.0), 4.0);
}

TEST(Bootstrap, ResultDoesNotDependOnThreadCount) {
  std::vector<double> x, y;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 0.1);
  for (int i = 1; i <= 20; ++i)
    x.push_back(i), y.push_back(3 * std::pow(i, 0.5) * std::exp(noise(rng)));
  ResampleFit fit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
    std::vector<double> xs, ys;
    for (size_t i : idx) xs.push_back(x[i]), ys.push_back(y[i]);
    auto p = fit_power_law(xs, ys, "test");
    return std::vector<double>{p.k, p.p};
  };
  BootstrapOptions one{200, 9, 0.95, 1, {}}, two{200, 9, 0.95, 2, {}};
  auto r1 = bootstrap(x.size(), fit, one), r2 = bootstrap(x.size(), fit, two);
  EXPECT_EQ(r1.lo, r2.lo);
  EXPECT_EQ(r1.hi, r2.hi);
}

// Coverage of the true exponent of y = k x^p with lognormal noise, over 40 independent data sets.
// A 95% interval should cover ~38 of 40 and a 50% interval ~20 of 40; the bounds below fail
// for intervals that are too narrow or too wide (binomial sd ~1.4 and ~3.2 respectively).
double coverage(double level) {
  const double k = 2.0, p = -0.3;
  int covered = 0;
  const int n_sets = 40;
  for (int s = 0; s < n_sets; ++s) {
    std::mt19937_64 rng(1000 + s);
    std::normal_distribution<double> noise(0, 0.05);
    std::vector<double> x, y;
    for (int i = 0; i < 30; ++i) {
      double xi = std::pow(10.0, 6 + 4.0 * i / 29);
      x.push_back(xi);
      y.push_back(k * std::pow(xi, p) * std::exp(noise(rng)));
    }
    ResampleFit fit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      std::vector<double> xs, ys;
      for (size_t i : idx) xs.push_back(x[i]), ys.push_back(y[i]);
      return std::vector<double>{fit_power_law(xs, ys, "coverage").p};
    };
    BootstrapOptions o{100, static_cast<uint64_t>(s), level, 1, {}};
    auto r = bootstrap(x.size(), fit, o);
    covered += (r.lo[0] <= p && p <= r.hi[0]);
  }
  return static_cast<double>(covered) / n_sets;
}

TEST(Bootstrap, NinetyFivePercentIntervalsCoverAtAboutNominalRate) {
  const double c = coverage(0.95);
  EXPECT_GE(c, 0.85);
  EXPECT_LE(c, 1.0);
}

TEST(Bootstrap, FiftyPercentIntervalsAreNotTooWide) {
  const double c = coverage(0.5);
  EXPECT_GE(c, 0.3);
  EXPECT_LE(c, 0.7);
}

TEST(Bootstrap, AllFailedResamplesIsAnError) {
  ResampleFit fit = [](const std::vector<size_t>&) -> std::optional<std::vector<double>> {
    return std::nullopt;
  };
  EXPECT_THROW(bootstrap(10, fit, BootstrapOptions{10, 1}), std::runtime_error);
}
