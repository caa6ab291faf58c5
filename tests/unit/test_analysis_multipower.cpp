// The Multi-Power Law (Luo et al. 2025): the fast LD sum against the formula, the gradient, and
// conformance on the published 25M/100M loss curves (tests/data/multipower/): the published
// constants and scalelab's own fit on the training curves predict the six test curves.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "analysis/fits/multipower_fit.h"
#include "analysis/inputs/loss_curves.h"
#include "analysis/inputs/lr_schedule.h"
#include "analysis/laws/multipower_law.h"
#include "core/schedule.h"
#include "tests/support/luo_schedules.h"

using namespace scalelab;

namespace {

const std::vector<std::string> kTrain = {"cosine_24000", "constant_24000", "wsdcon_9"};
const std::vector<std::string> kTest = {"cosine_72000",      "constant_72000", "wsd_20000_24000",
                                        "wsdld_20000_24000", "wsdcon_3",       "wsdcon_18"};

// A published curve: losses from the CSV, lr per step from the README's schedule definition.
LossCurve luo_curve(const std::string& size, const std::string& name) {
  LossCurve c = read_multipower_csv(SCALELAB_SOURCE_DIR "/tests/data/multipower/" + size + "/" +
                                    name + ".csv");
  c.lr = luo_schedule(name);
  c.warmup = kLuoWarmup;
  return c;
}

std::vector<double> rel(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> out;
  for (size_t i = 0; i < a.size(); ++i) out.push_back(std::abs(a[i] / b[i] - 1));
  return out;
}

// Short schedules of every shape: cosine, WSD with a 1 - sqrt cooldown, a step, and one whose lr
// rises again (changes of both signs in one block).
std::vector<std::pair<std::string, std::vector<double>>> short_schedules() {
  std::vector<std::pair<std::string, std::vector<double>>> out;
  OptimConfig o;
  o.lr = 3e-3;
  o.min_lr = 3e-4;
  ScheduleConfig s;
  s.warmup_steps = 40;
  s.kind = Schedule::cosine;
  out.push_back({"cosine", schedule_lrs(s, o, 400)});
  s.kind = Schedule::wsd;
  s.decay_shape = DecayShape::one_minus_sqrt;
  out.push_back({"wsd-1-sqrt", schedule_lrs(s, o, 400)});
  std::vector<double> step(400), wiggle(400);
  for (int i = 0; i < 400; ++i) {
    step[i] = i < 40 ? 3e-3 * (i + 1) / 40 : (i < 250 ? 3e-3 : 1e-3);
    wiggle[i] = i < 40 ? 3e-3 * (i + 1) / 40 : 2e-3 + 1e-3 * std::cos(i * 0.05);
  }
  out.push_back({"step", step});
  out.push_back({"wiggle", wiggle});
  return out;
}

}  // namespace

TEST(MultiPower, ChangesOnlySumEqualsTheDirectSumTo1e12) {
  const MultiPowerLaw law = MultiPowerLaw::published_100m();
  for (const auto& [name, lr] : short_schedules()) {
    std::vector<int64_t> steps;
    for (int64_t s = 40; s <= 400; s += 9) steps.push_back(s);
    MultiPowerCurve exact(lr, steps, MultiPowerSum::exact());
    const auto fast = exact.predict(law);
    double worst = 0;
    for (size_t j = 0; j < steps.size(); ++j)
      worst = std::max(worst, std::abs(fast[j] / multipower_direct(law, lr, steps[j]) - 1));
    EXPECT_LT(worst, 1e-12) << name;
    // Blocked far terms on a short schedule (window 32, blocks of 8): the midpoint error.
    MultiPowerCurve blocked(lr, steps, {32, 8});
    const auto b = blocked.predict(law);
    double worst_b = 0;
    for (size_t j = 0; j < steps.size(); ++j)
      worst_b = std::max(worst_b, std::abs(b[j] / fast[j] - 1));
    EXPECT_LT(worst_b, 1e-4) << name;
    std::printf("  %-10s changes-only vs direct %.1e, blocked(32, 8) vs exact %.1e\n", name.c_str(),
                worst, worst_b);
  }
}

TEST(MultiPower, BlockedSumMatchesExactOnThe72000StepCosine) {
  const MultiPowerLaw law = MultiPowerLaw::published_25m();
  const auto lr = luo_schedule("cosine_72000");
  std::vector<int64_t> steps;
  for (int64_t s = kLuoWarmup; s <= 72000; s += 128) steps.push_back(s);
  auto t0 = std::chrono::steady_clock::now();
  MultiPowerCurve exact(lr, steps, MultiPowerSum::exact());
  const auto e = exact.predict(law);
  auto t1 = std::chrono::steady_clock::now();
  MultiPowerCurve fast(lr, steps);
  const auto f = fast.predict(law);
  auto t2 = std::chrono::steady_clock::now();
  double worst = 0;
  for (size_t j = 0; j < steps.size(); ++j) worst = std::max(worst, std::abs(f[j] / e[j] - 1));
  EXPECT_LT(worst, 1e-6);
  EXPECT_LT(fast.n_terms() * 5, exact.n_terms());
  std::printf(
      "  cosine_72000, %zu steps: exact %zu terms %.0f ms, blocked %zu terms %.0f ms, "
      "largest relative difference %.1e\n",
      steps.size(), exact.n_terms(), std::chrono::duration<double, std::milli>(t1 - t0).count(),
      fast.n_terms(), std::chrono::duration<double, std::milli>(t2 - t1).count(), worst);
}

TEST(MultiPower, ScheduleDefinitionsReproduceTheCsvLrColumn) {
  for (const char* size : {"25M", "100M"})
    for (const auto& names : {kTrain, kTest})
      for (const auto& name : names) {
        std::ifstream in(SCALELAB_SOURCE_DIR "/tests/data/multipower/" + std::string(size) + "/" +
                         name + ".csv");
        std::string line;
        std::getline(in, line);
        int rows = 0;
        while (std::getline(in, line)) {
          long step = 0;
          double lr = 0, loss = 0;
          ASSERT_EQ(std::sscanf(line.c_str(), "%ld,%lf,%lf", &step, &lr, &loss), 3);
          EXPECT_NEAR(luo_schedule_lr(name, step) / lr, 1.0, 1e-9) << name << " step " << step;
          ++rows;
        }
        EXPECT_GT(rows, 90) << name;
      }
}

TEST(MultiPower, GradientMatchesFiniteDifferences) {
  std::vector<LossCurve> curves;
  for (const auto& [name, lr] : short_schedules()) {
    LossCurve c;
    c.name = name;
    c.lr = lr;
    c.warmup = 40;
    for (int64_t s = 40; s <= 400; s += 20) {
      c.steps.push_back(s);
      c.loss.push_back(3.0 + 0.5 * std::pow(s / 40.0, -0.3) + 0.01 * std::sin(s * 1.0));
    }
    curves.push_back(c);
  }
  MultiPowerProblem prob(curves, 1e-1, MultiPowerSum::exact());  // delta 0.1: the smooth branch
  auto x = MultiPowerProblem::x_from_law({2.5, 0.4, 0.5, 200, 2, 0.6, 0.6});
  std::vector<double> g(7), tmp(7);
  prob.objective(x, g);
  for (int k = 0; k < 7; ++k) {
    const double h = 1e-6 * std::max(1.0, std::abs(x[k]));
    auto xp = x, xm = x;
    xp[k] += h;
    xm[k] -= h;
    const double fd = (prob.objective(xp, tmp) - prob.objective(xm, tmp)) / (2 * h);
    EXPECT_NEAR(g[k], fd, 1e-6 * std::max(1.0, std::abs(fd))) << "coordinate " << k;
  }
}

TEST(MultiPower, PublishedConstantsPredictTheTestCurves) {
  std::printf("  published constants (L(t) at every sampled step after warmup):\n");
  for (const char* size : {"25M", "100M"}) {
    const MultiPowerLaw law = std::string(size) == "25M" ? MultiPowerLaw::published_25m()
                                                         : MultiPowerLaw::published_100m();
    for (const auto& name : kTest) {
      LossCurve c = luo_curve(size, name);
      MultiPowerCurve curve(c.lr, c.steps);
      const auto pred = curve.predict(law);
      RelativeError e = relative_error(pred, c.loss);
      std::printf("    %-4s %-18s mean %.3f%%  worst %.3f%%  final %.4f vs %.4f\n", size,
                  name.c_str(), 100 * e.mean, 100 * e.worst, pred.back(), c.loss.back());
      EXPECT_LT(e.mean, 0.006) << size << " " << name;
      EXPECT_LT(e.worst, 0.015) << size << " " << name;
      // The README's two examples at 100M.
      if (std::string(size) == "100M" && name == "wsd_20000_24000")
        EXPECT_NEAR(pred.back(), 2.936, 0.003);
      if (std::string(size) == "100M" && name == "cosine_72000")
        EXPECT_NEAR(pred.back(), 2.862, 0.003);
    }
  }
}

TEST(MultiPower, FitOnTheTrainingCurvesPredictsTheTestCurves) {
  for (const char* size : {"25M", "100M"}) {
    std::vector<LossCurve> train;
    for (const auto& name : kTrain) train.push_back(luo_curve(size, name));
    auto t0 = std::chrono::steady_clock::now();
    MultiPowerFit fit = fit_multipower_law(train);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto v = fit.law.values();
    std::printf("  %s fitted (%zu starts, %.1f s, objective %.6g):", size, fit.n_starts, secs,
                fit.objective);
    for (int i = 0; i < MultiPowerLaw::kParams; ++i)
      std::printf(" %s %.6g", MultiPowerLaw::names[i], v[i]);
    std::printf("\n");
    // The fit must be at least as good on its own data as the published constants.
    MultiPowerProblem prob(train);
    std::vector<double> g(7);
    const MultiPowerLaw published = std::string(size) == "25M" ? MultiPowerLaw::published_25m()
                                                               : MultiPowerLaw::published_100m();
    const double f_pub = prob.objective(MultiPowerProblem::x_from_law(published), g);
    std::printf("    objective at the published constants %.6g\n", f_pub);
    EXPECT_LE(fit.objective, f_pub * 1.001);
    for (const auto& name : kTest) {
      LossCurve c = luo_curve(size, name);
      MultiPowerCurve curve(c.lr, c.steps);
      const auto pred = curve.predict(fit.law);
      RelativeError e = relative_error(pred, c.loss);
      std::printf("    %-4s %-18s mean %.3f%%  worst %.3f%%  final %.3f%% (%.4f vs %.4f)\n", size,
                  name.c_str(), 100 * e.mean, 100 * e.worst, 100 * e.final, pred.back(),
                  c.loss.back());
      EXPECT_LT(e.mean, 0.01) << size << " " << name;
      EXPECT_LT(e.worst, 0.025) << size << " " << name;
      EXPECT_LT(e.final, 0.015) << size << " " << name;
    }
  }
}

TEST(MultiPower, CsvLrIsInterpolatedPerStepAndAnLrColumnIsRequired) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("scalelab_multipower_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto good = (dir / "good.csv").string();
  std::ofstream(good) << "step,lr,loss\n10,1e-3,4.0\n20,1e-3,3.5\n30,5e-4,3.2\n";
  LossCurve c = read_multipower_csv(good);
  ASSERT_EQ(c.lr.size(), 30u);
  EXPECT_NEAR(c.lr[4], 5e-4, 1e-15);     // step 5: halfway up the warmup from lr 0 at step 0
  EXPECT_NEAR(c.lr[24], 7.5e-4, 1e-15);  // step 25: halfway between the rows at 20 and 30
  EXPECT_EQ(c.warmup, 10);
  EXPECT_EQ(c.steps, (std::vector<int64_t>{10, 20, 30}));
  const auto bad = (dir / "no_lr.csv").string();
  std::ofstream(bad) << "step,loss\n10,4.0\n";
  try {
    read_multipower_csv(bad);
    FAIL() << "a CSV without lr was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no lr column"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(MultiPower, ScheduleTheLawCannotExpressIsRefused) {
  ScheduleConfig s;
  OptimConfig o;
  s.warmup_steps = 100;
  EXPECT_THROW(check_multipower_schedule(s, o, 100), std::runtime_error);  // no step after warmup
  o.min_lr = 2 * o.lr;
  EXPECT_THROW(check_multipower_schedule(s, o, 1000), std::runtime_error);  // lr rises
  o.min_lr = 0;
  EXPECT_NO_THROW(check_multipower_schedule(s, o, 1000));
  // A decay to lr 0 stays finite.
  const auto lr = schedule_lrs(s, o, 1000);
  MultiPowerCurve c(lr, {100, 500, 1000});
  for (double l : c.predict(MultiPowerLaw::published_25m())) EXPECT_TRUE(std::isfinite(l));
}

namespace {

// A cosine-like decay from 1e-3 to 1e-4 over 1,000 steps after a 10-step warmup, a point every 10
// steps after it, with the given loss at each point.
LossCurve curve_with_losses(const std::string& name, const std::function<double(int64_t)>& loss) {
  LossCurve c;
  c.name = name;
  c.warmup = 10;
  for (int64_t s = 1; s <= 1000; ++s)
    c.lr.push_back(s <= 10 ? 1e-3 * s / 10
                           : 1e-4 + 0.9e-3 * 0.5 * (1 + std::cos(M_PI * (s - 10) / 990.0)));
  for (int64_t s = 10; s <= 1000; s += 10) {
    c.steps.push_back(s);
    c.loss.push_back(loss(s));
  }
  return c;
}

std::string fit_error(const std::vector<LossCurve>& curves) {
  try {
    fit_multipower_law(curves, 1);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// Issue 26: two identical flat curves took 48 s of fitting, then gnuplot failed ("empty y range");
// a rising curve was fitted with beta = -0.63. Both are refused before any fitting, in one line.
TEST(MultiPower, CurvesWhoseLossDoesNotFallAreRefusedBeforeFitting) {
  const auto flat = curve_with_losses("flat", [](int64_t) { return 2.5; });
  EXPECT_EQ(fit_error({flat, flat}),
            "multipower: every point of every curve has the same loss (2.5): nothing for the law "
            "to fit; not identified, nothing fitted");
  const auto rising = curve_with_losses("rising", [](int64_t s) { return 2.0 + s / 2000.0; });
  const std::string why = fit_error({rising});
  EXPECT_NE(why.find("the loss of curve rising does not fall"), std::string::npos) << why;
  EXPECT_NE(why.find("not identified, nothing fitted"), std::string::npos) << why;
  // A falling curve (the law's own shape) passes the check and is fitted.
  const MultiPowerLaw truth = MultiPowerLaw::published_25m();
  auto falling = curve_with_losses("falling", [](int64_t) { return 0.0; });
  falling.loss = MultiPowerCurve(falling.lr, falling.steps).predict(truth);
  EXPECT_EQ(fit_error({falling}), "");
}
