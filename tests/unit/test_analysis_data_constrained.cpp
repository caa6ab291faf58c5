// Data-constrained scaling (Muennighoff et al. 2023): the published worked values, the fresh-data
// limit, monotonicity, the plan, fits.json round trip, gradient check and recovery of R_D*, R_N*.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "analysis/fits/data_constrained_fit.h"
#include "analysis/fits/fit_laws.h"
#include "analysis/fits/fitted_laws.h"
#include "analysis/laws/data_constrained_law.h"
#include "tests/support/synthetic_runs.h"

using namespace scalelab;

namespace {

// tests/data/data_constrained.md: computed from the datablations README formula and constants.
constexpr double kWorked1 = 2.2256440889984477;  // L(6.34e9, 242e9, 25e9)
constexpr double kWorked2 = 2.2269634075087867;  // L(8.67e9, 178e9, 25e9)

std::vector<Point> synthetic_points(const DataConstrainedLaw& truth, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, sigma);
  std::vector<Point> pts;
  for (double U : {1e8, 1e9})
    for (double N : {1e6, 3e6, 1e7, 3e7, 1e8})
      for (double epochs : {0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0}) {
        Point p;
        p.N = N, p.U = U, p.D = epochs * U, p.C = 6 * N * p.D;
        p.loss = truth.loss(p.N, p.D, p.U) * std::exp(noise(rng));
        pts.push_back(p);
      }
  return pts;
}

}  // namespace

TEST(DataConstrained, WorkedValuesFromThePaperRepository) {
  const auto law = DataConstrainedLaw::muennighoff();
  EXPECT_NEAR(law.loss(6.34e9, 242e9, 25e9) / kWorked1, 1.0, 1e-9);
  EXPECT_NEAR(law.loss(8.67e9, 178e9, 25e9) / kWorked2, 1.0, 1e-9);
}

TEST(DataConstrained, NothingRepeatsMeansEffectiveEqualsActual) {
  const auto law = DataConstrainedLaw::muennighoff();
  for (double U : {1e9, 25e9, 1e12})
    for (double D : {0.01 * U, 0.5 * U, U}) {  // R_D = 0: every token is seen once at most
      EXPECT_EQ(DataConstrainedLaw::repetitions(D, U), 0.0);
      EXPECT_NEAR(law.effective_data(D, U) / D, 1.0, 1e-12) << "D " << D << " U " << U;
      // N' = N up to the Chinchilla-optimal N for the D tokens seen, where the law is Chinchilla's.
      const double n_opt = law.optimal_params_for_tokens(D);
      for (double N : {1e-3 * n_opt, 0.1 * n_opt, n_opt}) {
        EXPECT_NEAR(law.effective_params(N, D, U) / N, 1.0, 1e-12) << "N " << N << " D " << D;
        EXPECT_NEAR(law.loss(N, D, U) / law.base.loss(N, D), 1.0, 1e-12);
      }
    }
}

TEST(DataConstrained, MonotoneAndBounded) {
  const auto law = DataConstrainedLaw::muennighoff();
  const double U = 25e9;
  double prev_d = 0, prev_loss = HUGE_VAL;
  // Strictly monotone up to 200 epochs; beyond, exp(-R_D / R_D*) is below double precision.
  for (double epochs = 1; epochs <= 1000; epochs *= 1.5) {
    const double D = epochs * U, d_eff = law.effective_data(D, U);
    const double loss = law.loss(1e9, D, U);
    if (epochs <= 200) {
      EXPECT_GT(d_eff, prev_d) << epochs;  // more repetition never hurts...
      EXPECT_LT(loss, prev_loss) << epochs;
    } else {
      EXPECT_GE(d_eff, prev_d) << epochs;
      EXPECT_LE(loss, prev_loss) << epochs;
    }
    EXPECT_LE(d_eff, D * (1 + 1e-12));                  // ...is never worth more than fresh data
    EXPECT_LT(d_eff, U * (1 + law.R_D_star) * 1.0001);  // ...and saturates at U (1 + R_D*)
    EXPECT_GE(loss, law.base.loss(1e9, D) - 1e-12);     // repeated data: at best fresh-data loss
    prev_d = d_eff, prev_loss = loss;
  }
  // 4 epochs are nearly as good as fresh data (the paper's headline): D' within 10% of D.
  EXPECT_GT(law.effective_data(4 * U, U) / (4 * U), 0.9);
  // More unique data at the same D never hurts.
  EXPECT_LT(law.loss(6e9, 200e9, 50e9), law.loss(6e9, 200e9, 25e9));
  // Excess parameters: N' grows with N, but slower than N.
  double prev_n = 0;
  for (double N = 1e8; N <= 1e12; N *= 2) {
    const double n_eff = law.effective_params(N, 100e9, U);
    if (N <= 1e11)
      EXPECT_GT(n_eff, prev_n) << N;
    else
      EXPECT_GE(n_eff, prev_n) << N;
    EXPECT_LE(n_eff, N * (1 + 1e-12));
    prev_n = n_eff;
  }
}

TEST(DataConstrained, PlanWithAbundantDataIsChinchillasAndScarceDataRepeats) {
  const auto law = DataConstrainedLaw::muennighoff();
  for (double C : {1e19, 1e21, 6 * 8.67e9 * 178e9}) {
    Law fresh;
    fresh.chinchilla = law.base;
    const ComputePlan cp = plan_compute(fresh, C);
    const DataConstrainedPlan p = plan_data_constrained(law, C, 1e30);
    EXPECT_NEAR(p.params / cp.params, 1.0, 1e-5) << C;
    EXPECT_NEAR(6 * p.params * p.tokens / C, 1.0, 1e-9);
    EXPECT_NEAR(p.loss, cp.loss, 1e-9);
  }
  // The example: with 25B unique tokens the plan trains a smaller model for more epochs
  // than the fresh-data answer, and no plan does better than it.
  const double C = 6 * 8.67e9 * 178e9, U = 25e9;
  const DataConstrainedPlan p = plan_data_constrained(law, C, U);
  Law fresh;
  fresh.chinchilla = law.base;
  const ComputePlan cp = plan_compute(fresh, C);
  EXPECT_LT(p.params, cp.params);
  EXPECT_GT(p.epochs, cp.tokens / U);
  EXPECT_NEAR(p.epochs, p.tokens / U, 1e-12);
  for (double f : {0.5, 0.9, 0.99, 1.01, 1.1, 2.0})
    EXPECT_GT(law.loss(f * p.params, C / (6 * f * p.params), U), p.loss) << f;
  EXPECT_LT(p.loss, law.loss(8.67e9, 178e9, U));  // better than the README's 8.67B example
  // Pinned (regression): 6.803B parameters on 226.9B tokens, 9.07 epochs of the 25B.
  EXPECT_NEAR(p.params, 6.803e9, 0.001e9);
  EXPECT_NEAR(p.epochs, 9.07, 0.01);
  std::printf(
      "C %.4g U %.4g: N %.4g D %.4g epochs %.3f loss %.6f; fresh N %.4g D %.4g (%.2f "
      "epochs of U)\n",
      C, U, p.params, p.tokens, p.epochs, p.loss, cp.params, cp.tokens, cp.tokens / U);
}

// Issue 26: with U fixed, N' and D' saturate (at U_N (1 + R_N*) and U (1 + R_D*)), so at a huge
// budget every split of C gives the same loss: the plan says it is on that floor rather than
// printing one arbitrary N as the optimum. At the paper's budget it is not.
TEST(DataConstrained, PlanAtAHugeBudgetIsOnTheFloorAndSaysSo) {
  const auto law = DataConstrainedLaw::muennighoff();
  const double U = 25e9;
  const ChinchillaLaw& b = law.base;
  // The floor from its closed form: N_opt(U) = G (U G)^(beta / alpha) (data_constrained_law.h).
  const double G = std::pow(b.alpha * b.A / (b.beta * b.B), 1 / (b.alpha + b.beta));
  const double floor =
      b.E + b.A / std::pow(G * std::pow(U * G, b.beta / b.alpha) * (1 + law.R_N_star), b.alpha) +
      b.B / std::pow(U * (1 + law.R_D_star), b.beta);
  for (double C : {1e200, 1e300}) {
    const DataConstrainedPlan p = plan_data_constrained(law, C, U);
    EXPECT_TRUE(p.on_plateau) << C;
    EXPECT_NEAR(p.loss / floor, 1.0, 1e-6) << C;
  }
  EXPECT_FALSE(plan_data_constrained(law, 6 * 8.67e9 * 178e9, U).on_plateau);
}

TEST(DataConstrained, LawByNameReadsPublishedAndFitsJson) {
  EXPECT_NEAR(data_constrained_law_by_name("data-constrained").loss(6.34e9, 242e9, 25e9) / kWorked1,
              1.0, 1e-12);
  EXPECT_THROW(data_constrained_law_by_name("chinchilla"), std::runtime_error);
  const auto dir = std::filesystem::temp_directory_path() / "scalelab_test_dc";
  std::filesystem::create_directories(dir);
  FitResult f;
  f.law = LawId::data_constrained;
  f.params = {{"R_D_star", 10}, {"R_N_star", 4}, {"E", 1.9},    {"A", 500},
              {"B", 2000},      {"alpha", 0.35}, {"beta", 0.36}};
  const auto path = (dir / "fits.json").string();
  write_fits_json(path, {f}, {});
  const auto law = data_constrained_law_by_name(path);
  EXPECT_EQ(law.R_D_star, 10);
  EXPECT_EQ(law.R_N_star, 4);
  EXPECT_EQ(law.base.B, 2000);
  // Without U (fresh data), law_by_name reads the same fit's E, A, B, alpha, beta.
  EXPECT_NEAR(law_by_name(path).loss(1e9, 2e10), law.base.loss(1e9, 2e10), 1e-12);
  const auto other = (dir / "other.json").string();
  write_fits_json(other, {}, {});
  EXPECT_THROW(data_constrained_law_by_name(other), std::runtime_error);
  EXPECT_THROW(fresh_law_from_fits(other), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(DataConstrained, AnalyticGradientMatchesFiniteDifferences) {
  const auto truth = DataConstrainedLaw::muennighoff();
  auto pts = synthetic_points(truth, 0.01, 1);
  DataConstrainedProblem prob(pts, 1e-3);
  // Off the optimum, with points on both sides of the Huber kink and of the N_opt(U) kink.
  std::vector<double> x = data_constrained_to_x(truth);
  x[0] += 0.1, x[1] -= 0.05, x[3] += 0.01, x[5] += 0.2, x[6] -= 0.3;
  std::vector<double> g(7), g2(7);
  prob.objective(x, g);
  for (int k = 0; k < 7; ++k) {
    const double h = 1e-6;
    auto xp = x, xm = x;
    xp[k] += h, xm[k] -= h;
    const double fd = (prob.objective(xp, g2) - prob.objective(xm, g2)) / (2 * h);
    EXPECT_NEAR(g[k], fd, 1e-5 * std::max(1.0, std::abs(fd))) << "coordinate " << k;
  }
}

// Known R_D*, R_N* (5 and 3, far from the published 15.4 and 5.3 so a fit that ignores the data
// would fail) with 0.5% log-normal noise: each fitted value inside its 95% bootstrap interval and
// within 25% of the truth.
TEST(DataConstrained, FitRecoversKnownRDStarAndRNStarWithinIntervals) {
  DataConstrainedLaw truth;
  truth.R_D_star = 5.0;
  truth.R_N_star = 3.0;
  const auto pts = synthetic_points(truth, 0.005, 7);
  FitOptions opts;
  opts.n_bootstrap = 200;
  opts.seed = 0;
  for (bool joint : {false, true}) {
    FitResult fit = joint ? fit_data_constrained(pts, opts)
                          : fit_data_constrained(pts, opts, &truth.base, "(truth)");
    for (const auto& [name, value] :
         std::vector<std::pair<std::string, double>>{{"R_D_star", 5.0}, {"R_N_star", 3.0}}) {
      const Estimate& e = fit.at(name);
      ASSERT_TRUE(e.has_ci()) << name;
      EXPECT_LE(e.lo, value) << name << (joint ? " joint" : " fixed base");
      EXPECT_GE(e.hi, value) << name << (joint ? " joint" : " fixed base");
      EXPECT_NEAR(e.value / value, 1.0, 0.25) << name << (joint ? " joint" : " fixed base");
      std::printf("%s %s = %.3f [%.3f, %.3f] (truth %.1f)\n", joint ? "joint" : "fixed-base",
                  name.c_str(), e.value, e.lo, e.hi, value);
    }
    EXPECT_NE(fit.procedure["fitted"].get<std::string>().find(joint ? "jointly" : "fixed"),
              std::string::npos);
    if (joint) {
      const Estimate& E = fit.at("E");
      EXPECT_LE(E.lo, truth.base.E);
      EXPECT_GE(E.hi, truth.base.E);
    } else {
      EXPECT_FALSE(fit.at("E").has_ci());  // fixed, not fitted
    }
  }
}

TEST(DataConstrained, FitRefusesPointsWithoutUOrWithoutRepetition) {
  auto pts = synthetic_points(DataConstrainedLaw::muennighoff(), 0.0, 1);
  auto no_u = pts;
  no_u[3].U = 0;
  EXPECT_THROW(fit_data_constrained(no_u, {}), std::runtime_error);
  std::vector<Point> fresh;
  for (const auto& p : pts)
    if (p.D <= p.U) fresh.push_back(p);
  try {
    fit_data_constrained(fresh, {});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no point repeats"), std::string::npos) << e.what();
  }
}

// `fit --law all` tries data-constrained only when the input has U; a U column in a CSV and
// tags.unique_tokens in summaries feed Point::U.
TEST(DataConstrained, FitLawsAllIncludesItOnlyWithU) {
  EXPECT_EQ(parse_enum<FitLaw>("data-constrained", "--law"), FitLaw::data_constrained);
  const auto dir = std::filesystem::temp_directory_path() / "scalelab_test_dc_csv";
  std::filesystem::create_directories(dir);
  const auto pts = synthetic_points(DataConstrainedLaw::muennighoff(), 0.002, 3);
  const auto with_u = (dir / "with_u.csv").string(), without_u = (dir / "without_u.csv").string();
  {
    std::ofstream a(with_u), b(without_u);
    a << "N,D,unique,loss\n";
    b << "N,D,loss\n";
    for (const auto& p : pts) {
      a << p.N << "," << p.D << "," << p.U << "," << p.loss << "\n";
      b << p.N << "," << p.D << "," << p.loss << "\n";
    }
  }
  CsvColumns cols;
  cols.u = "unique";
  FitInput in = load_fit_input(with_u, cols, {}, ParamCount::total);
  ASSERT_EQ(in.points.size(), pts.size());
  EXPECT_EQ(in.points[0].U, pts[0].U);
  std::vector<std::string> skipped;
  FitOptions opts;
  auto fits = fit_laws(in, FitLaw::data_constrained, opts, skipped);
  ASSERT_EQ(fits.size(), 1u);
  EXPECT_EQ(fits[0].law, "data_constrained");

  FitInput in2 = load_fit_input(without_u, cols, {}, ParamCount::total);
  EXPECT_EQ(in2.points[0].U, 0);
  EXPECT_THROW(fit_laws(in2, FitLaw::data_constrained, opts, skipped), std::runtime_error);
  skipped.clear();
  auto all = fit_laws(in2, FitLaw::all, opts, skipped);
  for (const auto& f : all) EXPECT_NE(f.law, "data_constrained");
  for (const auto& s : skipped) EXPECT_EQ(s.find("data_constrained"), std::string::npos) << s;
  std::filesystem::remove_all(dir);
}

// Run folders: tags.unique_tokens (a number or a numeric string) gives U; a bad one is named.
TEST(DataConstrained, RunFoldersGiveUThroughTags) {
  DataConstrainedLaw truth;
  truth.R_D_star = 8.0;
  const auto root = synth::fresh_dir("dc_runs");
  const auto pts = synthetic_points(truth, 0.0, 1);
  for (size_t i = 0; i < pts.size(); ++i) {
    synth::SyntheticRun r;
    r.name = "run" + std::to_string(i);
    r.N = pts[i].N, r.D = pts[i].D;
    const double N = r.N, U = pts[i].U;
    r.loss = [&truth, N, U](double tokens) { return truth.loss(N, tokens, U); };
    r.tags["unique_tokens"] = i % 2 ? nlohmann::json(U) : nlohmann::json(std::to_string(U));
    synth::write_run(root, r);
  }
  FitInput in = load_fit_input(root.string(), {}, {}, ParamCount::non_embedding);
  ASSERT_EQ(in.points.size(), pts.size());
  for (const auto& p : in.points) EXPECT_TRUE(p.U == 1e8 || p.U == 1e9) << p.name << " " << p.U;
  FitOptions opts;
  opts.fresh_fit = "";
  FitResult fit = fit_data_constrained(in.points, opts, &truth.base, "(truth)");
  EXPECT_NEAR(fit.value("R_D_star") / 8.0, 1.0, 0.02);
  EXPECT_NEAR(fit.value("R_N_star") / truth.R_N_star, 1.0, 0.05);

  synth::SyntheticRun bad;
  bad.name = "bad";
  bad.N = 1e6, bad.D = 1e8;
  bad.loss = [](double) { return 3.0; };
  bad.tags["unique_tokens"] = "lots";
  synth::write_run(root, bad);
  try {
    load_fit_input(root.string(), {}, {}, ParamCount::non_embedding);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("run bad: tags.unique_tokens"), std::string::npos)
        << e.what();
  }
  std::filesystem::remove_all(root);
}
