// Published laws, the compute-optimal plan, GPU time, and laws read back from fits.json.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "analysis/fits/fit_result.h"
#include "analysis/fits/fitted_laws.h"
#include "analysis/laws/hparam_laws.h"
#include "analysis/laws/laws.h"

using namespace scalelab;

TEST(Laws, Llama3_70BLossUnderKaplanAndChinchilla) {
  // 70e9 parameters on 15e12 tokens (Llama 3 70B).
  EXPECT_NEAR(KaplanLaw{}.loss(70e9, 15e12), 1.72, 0.005);
  EXPECT_NEAR(ChinchillaLaw::chinchilla().loss(70e9, 15e12), 1.86, 0.005);
}

TEST(Laws, PlanNumericOptimumEqualsClosedForm) {
  for (const char* name : {"chinchilla", "epoch"})
    for (double C : {1e18, 5.76e23, 1e26}) {
      Law law = law_by_name(name);
      ComputePlan p = plan_compute(law, C);
      const double closed = law.chinchilla.optimal_params(C);  // Hoffmann et al. 2022, eq. 4
      EXPECT_NEAR(p.params / closed, 1.0, 1e-6) << name << " C=" << C;
      EXPECT_NEAR(6 * p.params * p.tokens / C, 1.0, 1e-9);
    }
}

TEST(Laws, GpuDaysOfGpt4ScaleRunOnA100s) {
  // 6 * 1.7e12 * 13e12 FLOPs on 25,000 A100s at the 624 TFLOP/s sparse peak, 100% utilisation.
  const double days = gpu_days(6 * 1.7e12 * 13e12, 624e12, 25000, 1.0);
  EXPECT_GT(days, 98.3);
  EXPECT_LT(days, 98.7);
}

TEST(Laws, KaplanMinTokens) {
  EXPECT_NEAR(kaplan_min_tokens(1e9), 5e3 * std::pow(1e9, 0.74), 1);
}

TEST(Laws, UnknownLawNameIsAnError) {
  EXPECT_THROW(law_by_name("no-such-law-or-file"), std::runtime_error);
}

TEST(Laws, LawByNameReadsFitsJsonWrittenByFit) {
  const auto dir = std::filesystem::temp_directory_path() / "scalelab_test_laws";
  std::filesystem::create_directories(dir);
  FitResult c;
  c.law = LawId::chinchilla_approach3;
  c.params = {{"E", 1.9}, {"A", 500}, {"B", 2000}, {"alpha", 0.35}, {"beta", 0.36}, {"a", 0.507}};
  const auto chin = (dir / "chin.json").string();
  write_fits_json(chin, {c}, {});
  Law law = law_by_name(chin);
  EXPECT_EQ(law.kind, Law::Kind::chinchilla);
  EXPECT_NEAR(law.loss(1e9, 2e10), ChinchillaLaw({1.9, 500, 2000, 0.35, 0.36}).loss(1e9, 2e10),
              1e-12);
  EXPECT_GT(plan_compute(law, 1e21).params, 0);

  FitResult k;
  k.law = LawId::kaplan_nd;
  k.params = {{"Nc", 1e14}, {"alpha_N", 0.07}, {"Dc", 6e13}, {"alpha_D", 0.1}};
  const auto kap = (dir / "kap.json").string();
  write_fits_json(kap, {k}, {});
  Law kl = law_by_name(kap);
  EXPECT_EQ(kl.kind, Law::Kind::kaplan);
  EXPECT_NEAR(kl.loss(1e9, 2e10), KaplanLaw({1e14, 0.07, 6e13, 0.1}).loss(1e9, 2e10), 1e-12);

  const auto other = (dir / "other.json").string();
  write_fits_json(other, {}, {});
  EXPECT_THROW(law_by_name(other), std::runtime_error);
  std::filesystem::remove_all(dir);
}

// Hyperparameter laws against values worked by hand (log10 arithmetic, 4 significant digits).
TEST(Laws, PublishedHyperparameterLawsEqualHandWorkedValues) {
  // DeepSeek LLM 2024 at C = 1e21: C^-0.125 = 10^-2.625 = 2.3714e-3, so lr = 0.3118 x 2.3714e-3
  // = 7.394e-4; C^0.3271 = 10^6.8691 = 7.3978e6, so B = 0.2920 x 7.3978e6 = 2.160e6 tokens.
  const HparamPrediction ds = deepseek_hparams(1e21);
  EXPECT_NEAR(ds.lr, 7.394e-4, 0.001e-4);
  EXPECT_NEAR(ds.batch_tokens, 2.160e6, 0.001e6);
  // Step Law 2025 at N = 1e9, D = 2e10: log10 lr = log10 1.79 - 9 x 0.713 + 10.30103 x 0.307
  // = 0.25285 - 6.417 + 3.16242 = -3.00173, lr = 9.960e-4; log10 B = log10 0.58 + 10.30103 x
  // 0.571 = -0.23657 + 5.88189 = 5.64532, B = 4.419e5 tokens.
  const HparamPrediction st = step_law_hparams(1e9, 2e10);
  EXPECT_NEAR(st.lr, 9.960e-4, 0.001e-4);
  EXPECT_NEAR(st.batch_tokens, 4.419e5, 0.001e5);
  // A tuned law lr = 0.02 N^-0.25 at N = 1e4: 0.02 / 10 = 2e-3; no batch law, no batch.
  Hparams h;
  h.lr = {0.02, 0.25};
  EXPECT_DOUBLE_EQ(tuned_hparams(h, 1e4).lr, 2e-3);
  EXPECT_TRUE(std::isnan(tuned_hparams(h, 1e4).batch_tokens));
}
