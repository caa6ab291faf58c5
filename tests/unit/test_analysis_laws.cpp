// Published laws, the compute-optimal plan, GPU time, and laws read back from fits.json.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "analysis/fits/fit_result.h"
#include "analysis/fits/fitted_laws.h"
#include "analysis/laws/hparam_laws.h"
#include "analysis/laws/laws.h"
#include "analysis/numerics/optimize.h"

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

// Issue 26: at C = 1e200 and 1e300 the search once returned D_opt = 2.06e51 for both (E dwarfed the
// reducible loss, so L was flat to the last bit). The plan is now the closed form, and it is the
// optimum: the reducible loss A / N^alpha + B / D^beta (no E to swamp it) is larger on each side.
TEST(Laws, PlanAtExtremeBudgetsIsTheClosedFormOptimum) {
  for (const char* name : {"chinchilla", "epoch"})
    for (double C : {1e100, 1e200, 1e300}) {
      const Law law = law_by_name(name);
      const ComputePlan p = plan_compute(law, C);
      const ChinchillaLaw& l = law.chinchilla;
      // Hoffmann et al. 2022, eq. 4, in logs: G = (alpha A / (beta B))^(1 / (alpha + beta)).
      const double a = l.beta / (l.alpha + l.beta);
      const double log_n =
          std::log(l.alpha * l.A / (l.beta * l.B)) / (l.alpha + l.beta) + a * std::log(C / 6);
      EXPECT_NEAR(std::log(p.params), log_n, 1e-9) << name << " C=" << C;
      EXPECT_NEAR(6 * p.params * p.tokens / C, 1.0, 1e-9);
      // D / N = (C / 6)^(1 - 2a) / G^2: it grows with C for a < 0.5 (Hoffmann), falls for
      // a > 0.5 (Epoch, below 1 token per parameter at 1e300), never 0 or inf.
      EXPECT_NEAR(std::log(p.tokens_per_param),
                  (1 - 2 * a) * std::log(C / 6) -
                      2 * std::log(l.alpha * l.A / (l.beta * l.B)) / (l.alpha + l.beta),
                  1e-6)
          << name << " C=" << C;
      auto reducible = [&](double N) {
        return l.A / std::pow(N, l.alpha) + l.B / std::pow(C / (6 * N), l.beta);
      };
      for (double f : {0.99, 1.01}) EXPECT_GT(reducible(f * p.params), reducible(p.params)) << C;
    }
}

// Kaplan's closed form (dL/dN = 0 of eq. 1.5 under C = 6 N D) against a golden-section search on
// log X, X = (Nc / N)^r + Dc / D, which L = X^alpha_D orders the same way.
TEST(Laws, KaplanClosedFormOptimumEqualsASearch) {
  const KaplanLaw k;
  for (double C : {1e18, 1e21, 1e24}) {
    auto log_x = [&](double log_n) {
      const double N = std::exp(log_n);
      return std::log(std::pow(k.Nc / N, k.alpha_N / k.alpha_D) + k.Dc * 6 * N / C);
    };
    const double searched = std::exp(golden_section_min(log_x, 0, std::log(C / 6), 1e-12));
    EXPECT_NEAR(kaplan_optimal_params(k, C) / searched, 1.0, 1e-6) << C;
    EXPECT_NEAR(plan_compute(law_by_name("kaplan"), C).params / searched, 1.0, 1e-6) << C;
  }
}

// An optimum outside N >= 1, D >= 1, or a law without one, is one line, never a clamped number.
TEST(Laws, PlanRefusesAnOptimumOutsideOneParameterAndOneToken) {
  const Law chinchilla = law_by_name("chinchilla");
  // C = 6: D = 1 / N_opt, and G > 1 for Hoffmann et al.'s constants, so D < 1 token.
  ASSERT_GT(chinchilla.chinchilla.optimal_params(6), 1);
  try {
    plan_compute(chinchilla, 6);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("lies outside N >= 1 parameter, D >= 1 token"),
              std::string::npos)
        << e.what();
  }
  Law rising = chinchilla;
  rising.name = "fits.json";
  rising.chinchilla.beta = -0.1;
  try {
    plan_compute(rising, 1e21);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has no compute-optimal N"), std::string::npos)
        << e.what();
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
