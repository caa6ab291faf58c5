// Chinchilla approaches 1 and 2 on synthetic run folders drawn from a known L(N, D).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/fits/approach1.h"
#include "analysis/fits/approach2.h"
#include "analysis/laws/laws.h"
#include "tests/support/synthetic_runs.h"

using namespace scalelab;

namespace {

const ChinchillaLaw kTruth{1.8, 480.0, 2100.0, 0.35, 0.37};  // a = 0.514
const double kA = kTruth.beta / (kTruth.alpha + kTruth.beta);

// IsoFLOP ladders: 7 sizes around each budget's optimum (factor 1.6 apart), 1% loss noise.
std::vector<Point> isoflop_points(const std::vector<double>& budgets, double shift, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.002);
  std::vector<Point> pts;
  for (double C : budgets) {
    const double n_opt = kTruth.optimal_params(C) * shift;
    for (int k = -3; k <= 3; ++k) {
      const double N = n_opt * std::pow(1.6, k), D = C / (6 * N);
      pts.push_back({N, D, C, kTruth.loss(N, D) * std::exp(noise(rng)), "", C});
    }
  }
  return pts;
}

}  // namespace

TEST(Approach2, RecoversAllocationExponents) {
  auto pts = isoflop_points({1e18, 1e19, 1e20, 1e21, 1e22}, 1.0, 3);
  FitResult f = fit_approach2(pts, {200, 1, 0});
  EXPECT_NEAR(f.value("a"), kA, 0.03);
  EXPECT_NEAR(f.value("b"), 1 - kA, 0.03);
  EXPECT_NEAR(f.value("a") + f.value("b"), 1.0, 1e-9);  // D_opt = C / (6 N_opt)
  EXPECT_TRUE(f.at("a").has_ci());
  EXPECT_LT(f.at("a").lo, f.at("a").hi);
  EXPECT_TRUE(f.notes.empty());
}

TEST(Approach2, BudgetWithoutInteriorMinimumIsRefusedByName) {
  auto pts = isoflop_points({1e18, 1e19, 1e20}, 1.0, 4);
  auto off = isoflop_points({1e21}, 40.0, 5);  // the whole ladder lies far above N_opt
  pts.insert(pts.end(), off.begin(), off.end());
  FitResult f = fit_approach2(pts, {});
  ASSERT_EQ(f.notes.size(), 1u);
  EXPECT_NE(f.notes[0].find("budget 1e+21 FLOPs: the minimum is not inside its ladder"),
            std::string::npos)
      << f.notes[0];
  EXPECT_NEAR(f.value("a"), kA, 0.05);
  // With only one usable budget the fit itself is refused, naming the others.
  auto one = isoflop_points({1e19}, 1.0, 6);
  auto off2 = isoflop_points({1e21}, 40.0, 7);
  one.insert(one.end(), off2.begin(), off2.end());
  try {
    fit_approach2(one, {});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("budget 1e+21 FLOPs"), std::string::npos) << e.what();
  }
}

TEST(Approach2, GroupsByFlopsWhenNoBudgetIsGiven) {
  auto pts = isoflop_points({1e18, 1e19, 1e20}, 1.0, 8);
  for (auto& p : pts) p.budget = 0, p.C *= 1.0 + 0.02 * (p.N > 1e8);  // actual C wobbles by 2%
  auto profiles = isoflop_profiles(pts);
  EXPECT_EQ(profiles.size(), 3u);
}

TEST(Approach1, RecoversAllocationFromTrainingCurves) {
  // Runs of 14 sizes (factor 1.5 apart), each trained far enough that curves cross; the curve of
  // each is the law itself at every logged token count (an ideal schedule).
  auto root = synth::fresh_dir("approach1");
  for (int i = 0; i < 14; ++i) {
    const double N = 1e7 * std::pow(1.5, i);
    synth::SyntheticRun r{
        "n" + std::to_string(i), N, 400 * N, 0, {}, [N](double t) { return kTruth.loss(N, t); }};
    r.n_log = 60;
    synth::write_run(root, r);
  }
  auto set = read_runs(root.string());
  auto pts = run_points(set.runs, ParamCount::non_embedding);
  FitResult f = fit_approach1(pts, set.runs, ParamCount::non_embedding, {50, 2, 0});
  EXPECT_NEAR(f.value("a"), kA, 0.05);
  EXPECT_NEAR(f.value("b"), 1 - kA, 0.05);
  EXPECT_TRUE(f.at("a").has_ci());
}

TEST(Approach1, OneModelSizeIsAnError) {
  std::vector<Point> pts;
  for (double C = 1e15; C < 1e18; C *= 3) pts.push_back({1e6, C / 6e6, C, 10.0 / std::log(C), ""});
  try {
    fit_approach1(pts, {}, ParamCount::total, {});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("only 1 model size"), std::string::npos) << e.what();
  }
}
