// The power analysis (issue 25 item 8): simulate_design against a closed form, against a
// brute-force loop of the study's own procedure, its bracketing waves and their cap, bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/design/simulate_design.h"
#include "analysis/fits/approach2.h"
#include "tests/support/error_of.h"

using namespace scalelab;
using scalelab::test_util::error_of;

namespace {

// A law whose IsoFLOP profiles are exact parabolas in x = ln N: L = c0 + q (x - x0(C))^2 with
// x0(C) = a ln C + k, C = 6 N D. Approach 2's parabola is then the true model.
constexpr double kQ = 0.2, kA = 0.5, kK = -2.3, kStep = 0.34657359027997264;  // ln 2 / 2
PriorLaw parabola_law() {
  return {"parabolas",
          [](double N, double D) {
            const double x = std::log(N) - (kA * std::log(6 * N * D) + kK);
            return 2.0 + kQ * x * x;
          },
          kA};
}

// Four budgets a decade apart, nine sizes each spaced by sqrt(2) and centred on the optimum.
StudyDesign centred_design(int seeds) {
  StudyDesign d;
  for (double C : {1e10, 1e11, 1e12, 1e13}) {
    DesignBudget b{C, {}};
    for (int k = -4; k <= 4; ++k) b.sizes.push_back(std::exp(kA * std::log(C) + kK + k * kStep));
    d.budgets.push_back(b);
  }
  d.seeds = seeds;
  d.branched = false;
  return d;
}

}  // namespace

// With noise sd sigma per run, n seeds, a centred symmetric ladder of sizes x_k and budgets at
// ln C_b, the parabola's vertex has variance sigma^2 / n / (4 q^2 SUM x_k^2) to first order
// (c1 = SUM x y / SUM x^2 is independent of c0, c2 on a symmetric ladder), and a, the slope of the
// vertices on ln C, variance var(vertex) / SUM (ln C_b - mean)^2. The simulated spread over 400
// repeats must match it within 12% (the sd of an sd estimate from 400 draws is 3.5%), and the
// intervals cover a within binomial error.
TEST(SimulateDesign, SpreadOfApproachTwoMatchesTheClosedForm) {
  const double sigma = 0.02;
  const int seeds = 3;
  double sum_x2 = 0;
  for (int k = -4; k <= 4; ++k) sum_x2 += k * kStep * k * kStep;
  const double s_cc = 5 * std::pow(std::log(10.0), 2);  // ln C at -1.5, -0.5, 0.5, 1.5 decades
  const double expected =
      std::sqrt(sigma * sigma / seeds / (4 * kQ * kQ * sum_x2) / s_cc);  // 0.00209
  SimulationProcedure p;
  p.repeats = 400;
  p.bootstrap = 100;
  p.approach3 = false;  // the law is not approach 3's
  p.n_threads = 2;
  const SimulationResult r =
      simulate_design(centred_design(seeds), parabola_law(), {sigma, 0.0, 0.0}, p);
  std::printf("sd of a: simulated %.5f, closed form %.5f; coverage %.3f; %.1f s\n",
              r.approach2.sd_a, expected, r.approach2.coverage, r.seconds);
  EXPECT_EQ(r.approach2.fitted, 400);
  EXPECT_NEAR(r.approach2.sd_a / expected, 1.0, 0.12);
  EXPECT_NEAR(r.approach2.mean_a, kA, 3 * expected / std::sqrt(400.0));
  EXPECT_GE(r.approach2.coverage, 0.91);
  EXPECT_LE(r.approach2.coverage, 0.99);
  EXPECT_EQ(r.bracketed_share, 1.0);
  EXPECT_NEAR(r.mean_runs, 4 * 9 * 3, 1e-9);
  EXPECT_NEAR(r.mean_added_runs, 0, 1e-12);
}

// Every repeat is the study's own procedure: simulate_study with the repeat's seed, then
// fit_approach2 with its bootstrap seed, gives exactly the a the simulation recorded, and the
// summaries are those of these a's. Threads do not change anything.
TEST(SimulateDesign, RepeatsAreTheStudysProcedureInABruteForceLoop) {
  SimulationProcedure p;
  p.repeats = 12;
  p.bootstrap = 50;
  p.approach3 = false;
  p.seed = 7;
  p.n_threads = 1;
  const StudyDesign d = centred_design(2);
  const NoiseModel noise{0.03, 0.0, 0.0};
  const SimulationResult r = simulate_design(d, parabola_law(), noise, p);
  p.n_threads = 2;
  const SimulationResult r2 = simulate_design(d, parabola_law(), noise, p);
  double mean = 0, ss = 0;
  int covered = 0;
  for (int i = 0; i < p.repeats; ++i) {
    const uint64_t seed = simulation_repeat_seed(p.seed, i);
    FitOptions fo;
    fo.n_bootstrap = p.bootstrap, fo.seed = simulation_repeat_seed(seed, 1), fo.n_threads = 1;
    fo.min_each_side = d.min_each_side;
    const FitResult f = fit_approach2(simulate_study(d, parabola_law(), noise, seed).runs, fo);
    EXPECT_EQ(f.value("a"), r.approach2.a[i]) << i;
    EXPECT_EQ(r2.approach2.a[i], r.approach2.a[i]) << i;
    mean += f.value("a") / p.repeats;
    covered += f.identified && f.at("a").lo <= kA && kA <= f.at("a").hi;
  }
  for (double a : r.approach2.a) ss += (a - mean) * (a - mean);
  EXPECT_NEAR(r.approach2.mean_a, mean, 1e-12);
  EXPECT_NEAR(r.approach2.sd_a, std::sqrt(ss / (p.repeats - 1)), 1e-12);
  EXPECT_NEAR(r.approach2.coverage * r.approach2.identified, covered, 1e-9);
}

// A ladder entirely above the optimum: the waves add the next smaller size until the lowest seed
// mean has 2 sizes below it (3 sizes: N_opt, N_opt / 2, N_opt / 4), or stop at the cap, or when the
// shape rule has no next size; a budget left unbracketed is counted and left out of approach 2.
TEST(SimulateDesign, BracketingAddsTheRightSizeOnTheRightSideAndStopsAtItsCap) {
  const ChinchillaLaw law{1.8, 480.0, 2100.0, 0.35, 0.37};
  const PriorLaw prior = PriorLaw::chinchilla(law);
  const NoiseModel quiet{1e-6, 0.0, 0.0};
  StudyDesign d;
  for (double C : {1e18, 1e19}) {
    DesignBudget b{C, {}};
    for (int k = 1; k <= 5; ++k) b.sizes.push_back(law.optimal_params(C) * std::pow(2.0, k));
    d.budgets.push_back(b);
  }
  d.seeds = 2;
  d.next_size = [](double, const std::vector<double>& s, LadderSide side) -> std::optional<double> {
    return side == LadderSide::below ? s.front() / 2 : s.back() * 2;
  };
  const SimulatedStudy s = simulate_study(d, prior, quiet, 1);
  EXPECT_EQ(s.added_runs, 2 * 3 * 2);  // two budgets, three sizes, two seeds each
  EXPECT_EQ(s.bracketed, (std::vector<bool>{true, true}));
  std::vector<double> sizes;
  for (const auto& p : s.runs)
    if (p.budget == 1e18 && p.seed == 0) sizes.push_back(p.N / law.optimal_params(1e18));
  std::sort(sizes.begin(), sizes.end());
  ASSERT_EQ(sizes.size(), 8u);
  EXPECT_NEAR(sizes[0], 0.25, 1e-9);
  EXPECT_NEAR(sizes[1], 0.5, 1e-9);
  EXPECT_NEAR(sizes[2], 1.0, 1e-9);
  // The cap: two added sizes are not enough.
  d.max_added = 2;
  const SimulatedStudy capped = simulate_study(d, prior, quiet, 1);
  EXPECT_EQ(capped.added_runs, 2 * 2 * 2);
  EXPECT_EQ(capped.bracketed, (std::vector<bool>{false, false}));
  // A shape rule with no next size: nothing added, unbracketed.
  d.next_size = [](double, const std::vector<double>&, LadderSide) { return std::nullopt; };
  EXPECT_EQ(simulate_study(d, prior, quiet, 1).added_runs, 0);
  SimulationProcedure p;
  p.repeats = 4, p.bootstrap = 10, p.approach3 = false;
  const SimulationResult r = simulate_design(d, prior, quiet, p);
  EXPECT_EQ(r.bracketed_share, 0);
  EXPECT_EQ(r.approach2.fitted, 0);  // both budgets refused: no approach 2 fit
}

TEST(SimulateDesign, BadInputIsOneClearError) {
  const PriorLaw prior = parabola_law();
  SimulationProcedure p;
  StudyDesign none;
  EXPECT_EQ(error_of([&] { simulate_design(none, prior, {}, p); }),
            "simulate_design: the design has no budget");
  StudyDesign d = centred_design(0);
  EXPECT_EQ(error_of([&] { simulate_design(d, prior, {}, p); }),
            "simulate_design: seeds must be at least 1");
  d = centred_design(3);
  d.budgets[1].sizes.clear();
  EXPECT_EQ(error_of([&] { simulate_design(d, prior, {}, p); }),
            "simulate_design: budget 1e+11 has no sizes");
  d = centred_design(3);
  p.bootstrap = 1;
  EXPECT_EQ(error_of([&] { simulate_design(d, prior, {}, p); }),
            "simulate_design: bootstrap must be at least 2");
}
