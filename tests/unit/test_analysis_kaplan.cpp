// Kaplan laws: points drawn from known laws plus noise are fitted back.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "analysis/fits/kaplan_fit.h"
#include "analysis/laws/laws.h"
#include "tests/support/error_of.h"

using namespace scalelab;
using scalelab::test_util::error_of;

namespace {

std::vector<Point> kaplan_points(const KaplanLaw& truth, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, sigma);
  std::vector<Point> pts;
  for (double N = 1e6; N < 2e9; N *= 2)
    for (double D = 1e8; D < 2e11; D *= 3)
      pts.push_back({N, D, 6 * N * D, truth.loss(N, D) * std::exp(noise(rng)), ""});
  return pts;
}

}  // namespace

TEST(Kaplan, RecoversLossOfNAndD) {
  const KaplanLaw truth;  // Kaplan et al. 2020 constants
  auto pts = kaplan_points(truth, 0.003, 1);
  FitOptions o{100, 5, 0};
  FitResult f = fit_kaplan_nd(pts, o);
  EXPECT_NEAR(f.value("alpha_N"), truth.alpha_N, 0.01);
  EXPECT_NEAR(f.value("alpha_D"), truth.alpha_D, 0.01);
  EXPECT_NEAR(std::log10(f.value("Nc")), std::log10(truth.Nc), 0.5);
  EXPECT_NEAR(std::log10(f.value("Dc")), std::log10(truth.Dc), 0.5);
  for (const char* name : {"alpha_N", "alpha_D"}) {
    const auto& e = f.at(name);
    ASSERT_TRUE(e.has_ci());
    EXPECT_LT(e.lo, e.value);
    EXPECT_GT(e.hi, e.value);
  }
}

TEST(Kaplan, RecoversLossOfNAlone) {
  const KaplanLaw truth;
  std::mt19937_64 rng(2);
  std::normal_distribution<double> noise(0, 0.005);
  std::vector<Point> pts;
  for (double N = 1e6; N < 1e10; N *= 1.7)
    pts.push_back({N, 1e12, 6e12 * N, truth.loss_n(N) * std::exp(noise(rng)), ""});
  FitResult f = fit_kaplan_n(pts, {200, 1, 0});
  EXPECT_NEAR(f.value("alpha_N"), truth.alpha_N, 0.005);
  EXPECT_LE(f.at("alpha_N").lo, truth.alpha_N + 0.003);
  EXPECT_GE(f.at("alpha_N").hi, truth.alpha_N - 0.003);
}

TEST(Kaplan, RecoversLossOfDAlone) {
  const KaplanLaw truth;
  std::vector<Point> pts;
  for (double D = 1e7; D < 1e11; D *= 2) pts.push_back({1e10, D, 6e10 * D, truth.loss_d(D), ""});
  FitResult f = fit_kaplan_d(pts, {});
  EXPECT_NEAR(f.value("alpha_D"), truth.alpha_D, 1e-6);
  EXPECT_NEAR(f.value("Dc") / truth.Dc, 1.0, 1e-4);
}

TEST(Kaplan, LossOfNUsesEachSizesLowestLoss) {
  // Two points per size: the data-limited one (higher loss) must be ignored.
  const KaplanLaw truth;
  std::vector<Point> pts;
  for (double N = 1e6; N < 1e9; N *= 3) {
    pts.push_back({N, 1e12, 0, truth.loss_n(N), ""});
    pts.push_back({N, 1e8, 0, truth.loss_n(N) + 0.5, ""});
  }
  EXPECT_NEAR(fit_kaplan_n(pts, {}).value("alpha_N"), truth.alpha_N, 1e-6);
}

TEST(Kaplan, RecoversComputeFrontier) {
  // Points on L(C) = (Cc/C)^alpha_C with Kaplan's eq. 1.3 constants, plus worse points above it.
  const double Cc = 3.1e8 * 8.64e19, aC = 0.050;  // PF-days -> FLOPs
  std::vector<Point> pts;
  for (double C = 1e15; C < 1e21; C *= 2) {
    pts.push_back({1e7, C / 6e7, C, std::pow(Cc / C, aC), ""});
    pts.push_back({1e7, C / 6e7, C * 1.01, std::pow(Cc / C, aC) + 0.3, ""});
  }
  FitResult f = fit_kaplan_c(pts, {}, ParamCount::non_embedding, {});
  EXPECT_NEAR(f.value("alpha_C"), aC, 1e-6);
  EXPECT_NEAR(f.value("Cc") / Cc, 1.0, 1e-3);
}

TEST(Kaplan, TooFewSizesIsAnError) {
  std::vector<Point> pts = {{1e6, 1e9, 0, 4, ""}, {1e6, 2e9, 0, 3.9, ""}, {2e6, 1e9, 0, 3.8, ""}};
  try {
    fit_kaplan_n(pts, {});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("needs at least 3 model sizes, got 2"), std::string::npos)
        << e.what();
  }
}

TEST(Kaplan, IdenticalPointsAreRefusedNamingDistinctCounts) {
  // 8 copies of one point: every Kaplan law is refused, none "fits" through repeated rows.
  const std::vector<Point> pts(8, Point{1e8, 2e9, 1.2e18, 3.1, ""});
  EXPECT_EQ(
      error_of([&] { fit_kaplan_nd(pts, {}); }),
      "kaplan L(N, D) (4 constants): needs at least 5 distinct (N, D) points, got 1 (from 8 rows)");
  EXPECT_NE(error_of([&] { fit_kaplan_n(pts, {}); }).find("needs at least 3 model sizes, got 1"),
            std::string::npos);
  EXPECT_NE(error_of([&] { fit_kaplan_d(pts, {}); }).find("needs at least 3 token counts, got 1"),
            std::string::npos);
  const auto msg = error_of([&] { fit_kaplan_c(pts, {}, ParamCount::non_embedding, {}); });
  EXPECT_NE(msg.find("the compute frontier has 1 distinct C values"), std::string::npos) << msg;
}

TEST(Kaplan, LossOfNAndDNeedsSeveralSizesAndTokenCounts) {
  // Six distinct points, all of one size: Nc and alpha_N cannot be told apart.
  const KaplanLaw truth;
  std::vector<Point> pts;
  for (double D = 1e8; D < 1e11; D *= 3) pts.push_back({1e8, D, 6e8 * D, truth.loss(1e8, D), ""});
  EXPECT_EQ(
      error_of([&] { fit_kaplan_nd(pts, {}); }),
      "kaplan L(N, D) (4 constants): needs at least 2 distinct model sizes N, got 1 (from 7 rows)");
}

TEST(Kaplan, FrontierCountsDistinctFlops) {
  // Two final points share C: the frontier has two distinct C values, too few for L(C).
  std::vector<Point> pts = {
      {1e7, 1e10, 6e17, 3.0, ""}, {2e7, 5e9, 6e17, 2.9, ""}, {1e7, 2e10, 1.2e18, 2.8, ""}};
  auto msg = error_of([&] { fit_kaplan_c(pts, {}, ParamCount::non_embedding, {}); });
  EXPECT_NE(msg.find("kaplan L(C): the compute frontier has 2 distinct C values"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("needs at least 3"), std::string::npos) << msg;
}
