// Seeds as a design axis (issue 25 item 2): grouping runs of one configuration, the pooled noise
// model, each budget's minimum of seed means, and the hierarchical bootstrap's coverage on
// synthetic runs with a known law and known noise (trunk correlation included).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "analysis/design/simulate_design.h"
#include "analysis/fits/approach2.h"
#include "analysis/fits/approach3.h"
#include "analysis/fits/budget_minima.h"
#include "analysis/fits/seed_noise.h"
#include "analysis/inputs/fit_input.h"
#include "analysis/inputs/seed_points.h"
#include "tests/support/synthetic_runs.h"
#include "tests/support/error_of.h"

using namespace scalelab;
using scalelab::test_util::error_of;

namespace {

// The demo's law as fitted to its 60 runs (issue 25) and its measured noise model (NOISE.md).
const ChinchillaLaw kDemoLaw{0.744, 14.9, 41.2, 0.355, 0.327};

// Four budgets over 40x, nine sizes each from one ladder of sizes 2^(1/2) apart centred on the
// prior's optimum, three seeds, branched (a size's seeds are trunks shared by its budgets).
StudyDesign demo_like_design() {
  StudyDesign d;
  for (double C : {1e10, 3e10, 1e11, 4e11}) {
    const int k0 = static_cast<int>(std::lround(2 * std::log2(kDemoLaw.optimal_params(C) / 1000)));
    DesignBudget b{C, {}};
    for (int k = -4; k <= 4; ++k) b.sizes.push_back(1000 * std::pow(2.0, (k0 + k) / 2.0));
    d.budgets.push_back(b);
  }
  d.seeds = 3;
  d.next_size = [](double, const std::vector<double>& s, LadderSide side) -> std::optional<double> {
    return side == LadderSide::below ? s.front() / std::sqrt(2.0) : s.back() * std::sqrt(2.0);
  };
  return d;
}

}  // namespace

TEST(SeedPoints, RunsOfOnePointBecomeOnePointWithTheirSpreadAndTrunks) {
  const auto root = synth::fresh_dir("seeds_group");
  const double losses[3] = {3.10, 3.16, 3.04};
  for (int s = 0; s < 3; ++s)  // seed as a number, point as a string: the tags reader takes both
    synth::write_run(
        root, {"p1-s" + std::to_string(s), 1e6, 2e7, 1.2e14,
               nlohmann::json{{"point", "p1"}, {"seed", s}, {"trunk", "t" + std::to_string(s)}},
               [=](double) { return losses[s]; }});
  synth::write_run(
      root, {"solo", 2e6, 1e7, 1.2e14, nlohmann::json::object(), [](double) { return 2.9; }});
  const RunSet set = read_runs(root.string());
  const auto pts = group_seeds(set.runs, ParamCount::non_embedding);
  ASSERT_EQ(pts.size(), 2u);
  const SeedPoint& p = pts[0].name == "p1" ? pts[0] : pts[1];
  const SeedPoint& solo = pts[0].name == "p1" ? pts[1] : pts[0];
  EXPECT_EQ(p.n, 3);
  EXPECT_NEAR(p.mean, 3.10, 1e-12);
  EXPECT_NEAR(p.sd, 0.06, 1e-12);  // deviations -0, +0.06, -0.06: sd = sqrt(0.0072 / 2)
  EXPECT_NEAR(p.se, 0.06 / std::sqrt(3.0), 1e-12);
  EXPECT_EQ(p.trunks.size(), 3u);
  EXPECT_EQ(p.trunks[0].substr(0, 1), "t");
  EXPECT_EQ(solo.n, 1);
  EXPECT_EQ(solo.trunks[0], "solo");  // a run that is not a branch is its own trunk
  EXPECT_TRUE(std::isnan(solo.sd));
  EXPECT_TRUE(has_seed_replicates(pts));
}

TEST(SeedPoints, RunsTaggedAsOnePointMustBeOneConfiguration) {
  std::vector<Point> pts(2);
  pts[0] = {1e6, 2e7, 1.2e14, 3.1, "a-s0", 1.2e14};
  pts[1] = {2e6, 1e7, 1.2e14, 3.0, "a-s1", 1.2e14};
  pts[0].group = pts[1].group = "a";
  EXPECT_EQ(error_of([&] { group_seeds(pts); }),
            "point a: its runs differ in N (1e+06 and 2e+06); runs tagged with one point must be "
            "seeds of one configuration");
}

// Without seeds nothing changes: every run its own point, unweighted fits.
TEST(SeedPoints, WithoutPointTagsEveryRunIsItsOwnPoint) {
  std::vector<Point> pts = {{1e6, 2e7, 1.2e14, 3.1, "a"}, {2e6, 1e7, 1.2e14, 3.0, "b"}};
  const auto g = group_seeds(pts);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_FALSE(has_seed_replicates(g));
  EXPECT_EQ(g[1].name, "b");
}

// The pooled model recovers a known sd(D/N) and trunk correlation from many seeded points.
TEST(SeedNoise, RecoversTheNoiseModelAndTheTrunkCorrelation) {
  const NoiseModel truth{0.1, -0.3, 0.7};
  const StudyDesign d = [] {
    StudyDesign d = demo_like_design();
    d.seeds = 8;
    d.next_size = nullptr;
    return d;
  }();
  const PriorLaw prior = PriorLaw::chinchilla(kDemoLaw);
  double coef = 0, exponent = 0, rho = 0;
  const int draws = 20;
  for (int r = 0; r < draws; ++r) {
    const PooledNoise n = estimate_noise(group_seeds(simulate_study(d, prior, truth, r).runs));
    EXPECT_EQ(n.dof, 36 * 7);
    EXPECT_TRUE(n.exponent_fitted);
    coef += n.model.sd_coef / draws, exponent += n.model.sd_exponent / draws;
    rho += n.model.trunk_correlation / draws;
  }
  EXPECT_NEAR(coef, truth.sd_coef, 0.1 * truth.sd_coef);
  EXPECT_NEAR(exponent, truth.sd_exponent, 0.05);
  EXPECT_NEAR(rho, truth.trunk_correlation, 0.05);
}

TEST(BudgetMinima, FindsTheLowestSeedMeanAndCountsSizesOnEachSide) {
  std::vector<Point> pts;
  auto add = [&](double C, double N, double loss, int seed) {
    Point p{N, C / (6 * N), C, loss, "", C};
    p.group = "c" + std::to_string(C) + "n" + std::to_string(N), p.seed = seed;
    pts.push_back(p);
  };
  // Budget 1e12: minimum of the means at the 2nd of 5 sizes (1 below, 3 above). Budget 1e13:
  // the 3rd of 5 (2 and 2). Seeds disagree on single runs; only the means count.
  for (int s = 0; s < 2; ++s) {
    const double e = s ? 0.01 : -0.01;
    add(1e12, 1e4, 2.30 + e, s), add(1e12, 2e4, 2.20 - e, s), add(1e12, 4e4, 2.21 + e, s);
    add(1e12, 8e4, 2.26 - e, s), add(1e12, 1.6e5, 2.36 + e, s);
    add(1e13, 3e4, 2.10 - e, s), add(1e13, 6e4, 2.00 + e, s), add(1e13, 1.2e5, 1.95 - e, s);
    add(1e13, 2.4e5, 1.98 + e, s), add(1e13, 4.8e5, 2.05 - e, s);
  }
  const auto m = budget_minima(group_seeds(pts));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].budget, 1e12);
  EXPECT_EQ(m[0].sizes, (std::vector<double>{1e4, 2e4, 4e4, 8e4, 1.6e5}));
  EXPECT_EQ(m[0].i_min, 1u);
  EXPECT_EQ(m[0].below, 1);
  EXPECT_EQ(m[0].above, 3);
  EXPECT_FALSE(m[0].bracketed(2));
  EXPECT_EQ(m[0].unbracketed_reason(2),
            "budget 1e+12 FLOPs: the lowest seed mean (N 2e+04) has 1 size(s) below it, needs 2");
  EXPECT_EQ(m[1].i_min, 2u);
  EXPECT_TRUE(m[1].bracketed(2));
  EXPECT_EQ(m[1].seeds, (std::vector<int>{2, 2, 2, 2, 2}));
  // Approach 2 under the same rule leaves the unbracketed budget out, by name.
  FitOptions o;
  o.min_each_side = 2;
  const std::string e = error_of([&] { fit_approach2(pts, o); });
  EXPECT_NE(e.find("budget 1e+12 FLOPs: the lowest seed"), std::string::npos) << e;
}

// The hierarchical bootstrap's 95% intervals hold the true a in about 95% of 200 independent
// studies drawn from a known law with the demo's measured noise (sd 0.108 (D/N)^-0.26, trunk
// correlation 0.77). Binomial sd of a coverage of 0.95 over n ~ 200: 0.015; the test accepts
// 0.90 to 0.99 (about -3 and +2.5 sd). Measured: approach 2 0.963 (191 of 200 identified),
// approach 3 0.949 (196 identified).
TEST(SeedBootstrap, IntervalsCoverTheTrueExponentNearNinetyFivePercent) {
  SimulationProcedure p;
  p.repeats = 200;
  p.bootstrap = 200;
  p.seed = 0;
  p.n_threads = 2;
  const SimulationResult r =
      simulate_design(demo_like_design(), PriorLaw::chinchilla(kDemoLaw), NoiseModel::demo(), p);
  std::printf(
      "coverage approach 2 %.3f (%d identified), approach 3 %.3f (%d identified); sd of a "
      "%.3f and %.3f; %.1f s\n",
      r.approach2.coverage, r.approach2.identified, r.approach3.coverage, r.approach3.identified,
      r.approach2.sd_a, r.approach3.sd_a, r.seconds);
  for (const ApproachSummary* s : {&r.approach2, &r.approach3}) {
    EXPECT_GE(s->identified, 180);
    EXPECT_GE(s->coverage, 0.90);
    EXPECT_LE(s->coverage, 0.99);
    EXPECT_NEAR(s->mean_a, r.true_a, 3 * s->sd_a / std::sqrt(double(s->fitted)));  // unbiased
  }
}

// Resamples are drawn before any refit: the intervals do not depend on the thread count.
TEST(SeedBootstrap, IntervalsDoNotDependOnThreads) {
  const auto runs =
      simulate_study(demo_like_design(), PriorLaw::chinchilla(kDemoLaw), NoiseModel::demo(), 3)
          .runs;
  FitOptions one, two;
  one.n_bootstrap = two.n_bootstrap = 50;
  one.n_threads = 1, two.n_threads = 2;
  for (auto fit : {fit_approach2, chinchilla_approach3}) {
    const FitResult a = fit(runs, one), b = fit(runs, two);
    EXPECT_EQ(a.at("a").lo, b.at("a").lo);
    EXPECT_EQ(a.at("a").hi, b.at("a").hi);
    EXPECT_EQ(a.procedure["bootstrap"]["unit"].get<std::string>().substr(0, 12), "hierarchical");
  }
}
