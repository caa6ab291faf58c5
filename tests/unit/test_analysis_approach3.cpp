// Chinchilla approach 3: conformance on the published Figure 4 data, gradient check, recovery.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "analysis/fits/approach3.h"
#include "tests/support/published_points.h"
#include "tests/support/error_of.h"

using namespace scalelab;
using scalelab::test_util::error_of;

using test_util::epoch_points;

TEST(Approach3, ReproducesPublishedRefitWithinOnePercent) {
  auto pts = epoch_points();
  ASSERT_EQ(pts.size(), 240u);
  Approach3Fit fit = fit_approach3(pts);
  // Published result of this exact procedure (tests/data/README.md).
  EXPECT_NEAR(fit.law.E, 1.8172, 0.01 * 1.8172);
  EXPECT_NEAR(fit.law.A, 477.8, 0.01 * 477.8);
  EXPECT_NEAR(fit.law.B, 2143, 0.01 * 2143);
  EXPECT_NEAR(fit.law.alpha, 0.3473, 0.01 * 0.3473);
  EXPECT_NEAR(fit.law.beta, 0.3672, 0.01 * 0.3672);
  EXPECT_NEAR(fit.objective, 0.001018, 0.02 * 0.001018);
  const double a = fit.law.beta / (fit.law.alpha + fit.law.beta);
  EXPECT_NEAR(a, 0.513, 0.005);
  std::printf("E %.4f A %.1f B %.0f alpha %.4f beta %.4f objective %.6f\n", fit.law.E, fit.law.A,
              fit.law.B, fit.law.alpha, fit.law.beta, fit.objective);
}

TEST(Approach3, AnalyticGradientMatchesFiniteDifferences) {
  auto pts = epoch_points();
  Approach3Problem prob(pts, 1e-3);
  std::vector<double> x = {6.2, 7.6, 0.6, 0.35, 0.37}, g(5), g2(5);
  prob.objective(x, g);
  for (int k = 0; k < 5; ++k) {
    const double h = 1e-6;
    auto xp = x, xm = x;
    xp[k] += h, xm[k] -= h;
    const double fd = (prob.objective(xp, g2) - prob.objective(xm, g2)) / (2 * h);
    EXPECT_NEAR(g[k], fd, 1e-5 * std::max(1.0, std::abs(fd))) << "coordinate " << k;
  }
}

TEST(Approach3, GridHas4500Starts) {
  EXPECT_EQ(approach3_grid().size(), 4500u);
}

TEST(Approach3, RecoversKnownLawFromNoisyPoints) {
  const ChinchillaLaw truth{2.0, 600.0, 1500.0, 0.33, 0.30};
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.005);  // 0.5% multiplicative noise on the loss
  std::vector<Point> pts;
  for (double N = 1e7; N < 3e10; N *= 2)
    for (double tpp : {2.0, 5.0, 10.0, 20.0, 50.0, 100.0}) {
      const double D = tpp * N;
      pts.push_back({N, D, 6 * N * D, truth.loss(N, D) * std::exp(noise(rng)), ""});
    }
  FitOptions opts;
  opts.n_bootstrap = 50;
  opts.seed = 3;
  FitResult fit = chinchilla_approach3(pts, opts);
  EXPECT_NEAR(fit.value("E"), truth.E, 0.05);
  EXPECT_NEAR(fit.value("alpha"), truth.alpha, 0.03);
  EXPECT_NEAR(fit.value("beta"), truth.beta, 0.03);
  EXPECT_NEAR(fit.value("a"), truth.beta / (truth.alpha + truth.beta), 0.03);
  for (const auto& p : fit.params) {
    ASSERT_TRUE(p.has_ci()) << p.name;
    EXPECT_LE(p.lo, p.value) << p.name;
    EXPECT_GE(p.hi, p.value) << p.name;
  }
}

TEST(Approach3, TooFewPointsIsAnError) {
  std::vector<Point> pts = {
      {1e8, 1e9, 6e17, 3.0, ""}, {2e8, 1e9, 1.2e18, 2.9, ""}, {4e8, 2e9, 4.8e18, 2.7, ""}};
  EXPECT_EQ(error_of([&] { fit_approach3(pts); }),
            "chinchilla approach 3 (5 constants): needs at least 6 distinct (N, D) points, got 3");
}

TEST(Approach3, IdenticalRowsCountOnce) {
  // 8 copies of one CSV row used to "fit" 5 constants with zero-width intervals.
  std::string csv = "Model Size,Training FLOP,loss\n";
  for (int i = 0; i < 8; ++i) csv += "1e8,6e17,3.1\n";
  const auto path = std::filesystem::temp_directory_path() / "scalelab_approach3_identical.csv";
  std::ofstream(path) << csv;
  CsvColumns cols;
  cols.n = "Model Size", cols.c = "Training FLOP";
  const auto pts = read_csv_points(path.string(), cols);
  ASSERT_EQ(pts.size(), 8u);
  const std::string want =
      "chinchilla approach 3 (5 constants): needs at least 6 distinct (N, D) points, got 1 (from 8 "
      "rows)";
  EXPECT_EQ(error_of([&] { fit_approach3(pts); }), want);
  FitOptions with_bootstrap;
  with_bootstrap.n_bootstrap = 20;
  EXPECT_EQ(error_of([&] { chinchilla_approach3(pts, with_bootstrap); }), want);
  std::filesystem::remove(path);
}

TEST(Approach3, NeedsThreeDistinctSizesAndTokenCounts) {
  // 8 distinct (N, D) pairs but only two sizes: A and alpha are not determined.
  std::vector<Point> pts;
  for (double N : {1e8, 4e8})
    for (double D : {1e9, 3e9, 1e10, 3e10})
      pts.push_back({N, D, 6 * N * D, 2 + 400 / std::pow(N, 0.34) + 400 / std::pow(D, 0.28), ""});
  EXPECT_EQ(error_of([&] { fit_approach3(pts); }),
            "chinchilla approach 3 (5 constants): needs at least 3 distinct model sizes N, got 2 "
            "(from 8 rows)");
  for (auto& p : pts) p = {p.D / 10, p.N * 10, p.C, p.loss, ""};  // now two token counts
  EXPECT_EQ(error_of([&] { fit_approach3(pts); }),
            "chinchilla approach 3 (5 constants): needs at least 3 distinct token counts D, got 2 "
            "(from 8 rows)");
}

TEST(Approach3, DuplicatedRowsStillFitWhenEnoughAreDistinct) {
  const ChinchillaLaw truth{2.0, 600.0, 1500.0, 0.33, 0.30};
  std::vector<Point> pts;
  for (double N : {1e8, 4e8, 1.6e9})
    for (double D : {2e9, 8e9, 3.2e10})
      for (int copy = 0; copy < 2; ++copy) pts.push_back({N, D, 6 * N * D, truth.loss(N, D), ""});
  FitResult fit = chinchilla_approach3(pts, {});
  EXPECT_EQ(fit.data["n_points"], 18);
  EXPECT_EQ(fit.data["n_distinct_points"], 9);
  EXPECT_NEAR(fit.value("alpha"), truth.alpha, 0.02);
}
