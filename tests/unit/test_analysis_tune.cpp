// `scalelab tune`'s analysis (analysis/tune.h): a known lr_opt(N) law is recovered from synthetic
// losses within its interval, an edge optimum is refused by name, three learning rates give a law
// without an interval, a batch sweep gives a batch law. Its file: test_experiments_tune_spec.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "analysis/fits/tune.h"

using namespace scalelab;
namespace fs = std::filesystem;

namespace {

// The truth: lr_opt(N) = 0.5 N^-0.3; loss = L0(N) + 0.05 (ln lr - ln lr_opt)^2 + noise, on one
// fixed grid of 7 learning rates (1e-3 .. 1e-1) for five sizes whose optima lie inside it.
constexpr double kC = 0.5, kK = 0.3;
const std::vector<double> kSizes = {1e4, 3e4, 1e5, 3e5, 1e6};
const std::vector<double> kGrid = {1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1};

std::vector<TuneObservation> synthetic(double noise_sd, uint32_t seed,
                                       const std::vector<double>& sizes = kSizes,
                                       double lr_shift = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, noise_sd);
  std::vector<TuneObservation> out;
  for (double N : sizes) {
    const double lr_opt = lr_shift * kC * std::pow(N, -kK);
    for (double lr : kGrid) {
      const double d = std::log(lr / lr_opt);
      char name[64];
      std::snprintf(name, sizeof name, "n%.0e-lr%g", N, lr);
      out.push_back(
          {name, N, lr, 256, 0.95, 3.0 - 0.1 * std::log10(N) + 0.05 * d * d + noise(rng)});
    }
  }
  return out;
}

TuneOptions options(int n_bootstrap) {
  TuneOptions o;
  o.n_bootstrap = n_bootstrap, o.seed = 3, o.n_threads = 2;
  return o;
}

}  // namespace

TEST(Tune, ParabolaFindsTheOptimumOfOneSizeExactlyWithoutNoise) {
  auto obs = synthetic(0, 1, {1e5});
  std::vector<double> lr, loss;
  for (const auto& o : obs) lr.push_back(o.lr), loss.push_back(o.loss);
  const LrCurve c = fit_lr_curve(1e5, 256, 0.95, lr, loss, {});
  EXPECT_TRUE(c.refusal.empty()) << c.refusal;
  EXPECT_NEAR(c.lr_opt, kC * std::pow(1e5, -kK), 1e-9);
}

TEST(Tune, RecoversAKnownLawWithinItsInterval) {
  const TuneResult r = fit_tune(synthetic(0.003, 7), options(400));
  const Hparams& h = r.hparams;
  std::printf("truth c = %g, k = %g; recovered c = %.4g [%.4g, %.4g], k = %.4g [%.4g, %.4g]\n", kC,
              kK, h.lr.c, h.lr.c_lo, h.lr.c_hi, h.lr.k, h.lr.k_lo, h.lr.k_hi);
  ASSERT_EQ(h.sizes.size(), kSizes.size());
  EXPECT_TRUE(r.refused.empty());
  // The truth lies inside the 95% intervals, and the intervals are tight enough to mean it.
  EXPECT_LE(h.lr.k_lo, kK);
  EXPECT_GE(h.lr.k_hi, kK);
  EXPECT_LE(h.lr.c_lo, kC);
  EXPECT_GE(h.lr.c_hi, kC);
  EXPECT_LT(h.lr.k_hi - h.lr.k_lo, 0.1);
  EXPECT_NEAR(h.lr.k, kK, 0.05);
  EXPECT_NEAR(h.lr(1e5) / (kC * std::pow(1e5, -kK)), 1, 0.1);
  EXPECT_NE(format_tune(r).find("lr_opt(N) = c N^-k"), std::string::npos);
}

TEST(Tune, RefusesAnEdgeOptimumByNameAndSaysWhichWay) {
  // The largest size's optimum lies above the grid: its best lr is the grid's largest.
  auto obs = synthetic(0.001, 2, {1e4, 1e5, 1e6});
  auto high = synthetic(0.001, 2, {3e6}, 40);  // lr_opt(3e6) x 40 ~ 0.23 > 0.1
  obs.insert(obs.end(), high.begin(), high.end());
  const TuneResult r = fit_tune(obs, options(0));
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_NE(r.refused[0].find("size N = 3e+06"), std::string::npos) << r.refused[0];
  EXPECT_NE(r.refused[0].find("largest of its grid"), std::string::npos) << r.refused[0];
  EXPECT_NE(r.refused[0].find("extend the grid upward"), std::string::npos) << r.refused[0];
  EXPECT_EQ(r.hparams.sizes.size(), 3u);  // the law is fitted on the others
  // And downward: the optimum below the grid.
  auto low = synthetic(0.001, 2, {1e4}, 1.0 / 60);
  auto ok = synthetic(0.001, 2, {1e5, 1e6});
  low.insert(low.end(), ok.begin(), ok.end());
  const TuneResult d = fit_tune(low, options(0));
  ASSERT_EQ(d.refused.size(), 1u);
  EXPECT_NE(d.refused[0].find("extend the grid downward"), std::string::npos) << d.refused[0];
  // A diverged run above the best trained lr bounds it: the refusal names it instead of asking
  // for larger learning rates.
  auto capped = synthetic(0.001, 2, {1e5, 1e6});
  auto top = synthetic(0.001, 2, {3e6}, 40);
  for (auto& o : top)
    if (o.lr == 1e-1) o.diverged = true, o.loss = NAN;
  top.push_back({"n3e6-lr0.2", 3e6, 0.2, 256, 0.95, NAN, true});
  capped.insert(capped.end(), top.begin(), top.end());
  const TuneResult c = fit_tune(capped, options(0));
  ASSERT_EQ(c.refused.size(), 1u);
  EXPECT_NE(c.refused[0].find("0.05 is the largest that trained and 0.1 diverged"),
            std::string::npos)
      << c.refused[0];
  ASSERT_FALSE(c.notes.empty());
  EXPECT_NE(c.notes[0].find("diverged"), std::string::npos);
  EXPECT_NE(c.notes[0].find("n3e6-lr0.2"), std::string::npos) << c.notes[0];
  // With one located size left there is no law: one line with each refusal.
  auto only = synthetic(0.001, 2, {1e5});
  only.insert(only.end(), high.begin(), high.end());
  try {
    fit_tune(only, options(0));
    ADD_FAILURE() << "expected a refusal";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("1 of 2 size(s)"), std::string::npos) << what;
    EXPECT_NE(what.find("size N = 3e+06"), std::string::npos) << what;
  }
}

TEST(Tune, ThreeLearningRatesGiveALawButNoInterval) {
  std::vector<TuneObservation> obs;
  for (const auto& o : synthetic(0.002, 5))
    if (o.lr >= 5e-3 && o.lr <= 2e-2) obs.push_back(o);
  const TuneResult r = fit_tune(obs, options(100));
  EXPECT_FALSE(std::isfinite(r.hparams.lr.k_lo));
  ASSERT_FALSE(r.notes.empty());
  EXPECT_NE(r.notes[0].find("tune 4 or more learning rates"), std::string::npos) << r.notes[0];
}

TEST(Tune, BatchSweepGivesABatchLaw) {
  // B_opt(N) = 2 N^0.5 tokens; the loss adds 0.02 (ln B - ln B_opt)^2 to the lr parabola.
  std::vector<TuneObservation> obs;
  std::mt19937 rng(4);
  std::normal_distribution<double> noise(0, 0.0005);
  for (double N : {1e4, 1e5, 1e6})
    for (double B : {64.0, 256.0, 1024.0, 4096.0, 16384.0})
      for (double lr : kGrid) {
        const double d = std::log(lr / (kC * std::pow(N, -kK))),
                     e = std::log(B / (2 * std::sqrt(N)));
        obs.push_back({"r", N, lr, B, 0.95, 3 + 0.05 * d * d + 0.02 * e * e + noise(rng)});
      }
  const TuneResult r = fit_tune(obs, options(100));
  ASSERT_TRUE(r.hparams.batch_tokens.has_value());
  EXPECT_NEAR(r.hparams.batch_tokens->k, 0.5, 0.1);
  EXPECT_NEAR(r.hparams.lr.k, kK, 0.05);
}
