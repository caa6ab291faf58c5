// The calculators through the binary: flops, gpu-time, predict and plan print the papers' numbers,
// the data-constrained law's worked values and the hyperparameter laws, and refuse bad input and
// unidentified fits in one clear line.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "analysis/fits/fit_result.h"
#include "analysis/laws/laws.h"

#include "tests/support/run.h"

using namespace scalelab::test_util;

TEST(Cli, CalculatorsPrintThePublishedNumbers) {
  std::string out;
  ASSERT_EQ(run_cli("predict --params 70e9 --tokens 15e12 --json", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_NEAR(j["loss"]["kaplan"].get<double>(), 1.72, 0.005);
  EXPECT_NEAR(j["loss"]["chinchilla"].get<double>(), 1.86, 0.005);
  ASSERT_EQ(
      run_cli("gpu-time --params 1.7e12 --tokens 13e12 --gpu a100 --count 25000 --precision fp16 "
              "--sparse --mfu 1 --json",
              &out),
      0)
      << out;
  EXPECT_NEAR(nlohmann::json::parse(out)["days"].get<double>(), 98.7, 0.5);
  ASSERT_EQ(run_cli("predict --params 1e9 --tokens 1e9", &out), 0);
  EXPECT_NE(out.find("expect overfitting"), std::string::npos) << out;
  ASSERT_EQ(
      run_cli("flops --config " SCALELAB_SOURCE_DIR "/configs/ladder/gpt-124m.yaml --json", &out),
      0)
      << out;
  EXPECT_EQ(nlohmann::json::parse(out)["params"]["total"], 123587328);
  expect_one_clear_line("gpu-time --flops 1e20 --gpu tpu", "--gpu tpu: unknown accelerator");
}

// Issue 27: gpu-time assumed 100% MFU unsaid (28 GPU-hours for the README's example). The
// default is 40%, what large runs measure, and the output says it is the default; --mfu 1 gives
// the time at the peak, 2.5 times shorter.
TEST(Cli, GpuTimeStatesItsDefaultMfu) {
  std::string out;
  ASSERT_EQ(run_cli("gpu-time --flops 1e21 --json", &out), 0) << out;
  const auto by_default = nlohmann::json::parse(out);
  EXPECT_DOUBLE_EQ(by_default["mfu"].get<double>(), 0.4);
  EXPECT_TRUE(by_default["mfu_is_default"].get<bool>());
  ASSERT_EQ(run_cli("gpu-time --flops 1e21 --mfu 1 --json", &out), 0) << out;
  const auto at_peak = nlohmann::json::parse(out);
  EXPECT_FALSE(at_peak["mfu_is_default"].get<bool>());
  EXPECT_NEAR(by_default["days"].get<double>() / at_peak["days"].get<double>(), 2.5, 1e-12);
  // H100 bf16 dense peak 989 TFLOP/s: 1e21 / (0.4 * 989e12) s = 0.702 GPU-hours.
  EXPECT_NEAR(by_default["days"].get<double>() * 24, 1e21 / (0.4 * 989e12) / 3600, 1e-3);
  ASSERT_EQ(run_cli("gpu-time --flops 1e21", &out), 0) << out;
  EXPECT_NE(out.find("MFU 40% (the default: what large runs reach"), std::string::npos) << out;
  ASSERT_EQ(run_cli("gpu-time --flops 1e21 --mfu 0.5", &out), 0) << out;
  EXPECT_NE(out.find("MFU 50%\n"), std::string::npos) << out;
}

// Data-constrained law (Muennighoff et al. 2023): predict, plan, fit and their bad input.
TEST(Cli, PredictWithUniqueTokensGivesTheWorkedValue) {
  std::string out;
  ASSERT_EQ(run_cli("predict --params 8.67e9 --tokens 178e9 --unique-tokens 25e9 --json", &out), 0)
      << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_NEAR(j["loss"]["data-constrained"].get<double>() / 2.2269634075087867, 1.0, 1e-9);
  EXPECT_NEAR(j["epochs"].get<double>(), 178.0 / 25.0, 1e-12);
  EXPECT_TRUE(j["loss"].contains("chinchilla"));  // the fresh-data answer next to it
  ASSERT_EQ(run_cli("predict --params 6.34e9 --tokens 242e9 --unique-tokens 25e9", &out), 0) << out;
  EXPECT_NE(out.find("2.2256"), std::string::npos) << out;
  EXPECT_NE(out.find("R_D* = 15.4"), std::string::npos) << out;  // the sentence on R_D*
  EXPECT_NE(out.find("assumes fresh data"), std::string::npos) << out;
  // D <= U: nothing repeats, not an error; the law is then Chinchilla's form with its constants.
  ASSERT_EQ(run_cli("predict --params 1e8 --tokens 1e10 --unique-tokens 25e9 --json", &out), 0)
      << out;
  j = nlohmann::json::parse(out);
  EXPECT_EQ(j["repetitions"].get<double>(), 0.0);
  EXPECT_NEAR(j["data_constrained"]["data-constrained"]["effective_tokens"].get<double>(), 1e10,
              1e-3);
  EXPECT_NEAR(j["loss"]["data-constrained"].get<double>(),
              j["data_constrained"]["data-constrained"]["fresh_data_loss"].get<double>(), 1e-12);
}

TEST(Cli, PlanWithUniqueTokensForTheIssuesExample) {
  std::string out;
  // C = 6 x 8.67e9 x 178e9, U = 25e9 (issue 17).
  ASSERT_EQ(run_cli("plan --flops 9.25956e21 --unique-tokens 25e9 --json", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  const auto& p = j["plans"]["data-constrained"];
  EXPECT_NEAR(p["params"].get<double>(), 6.803e9, 0.002e9);
  EXPECT_NEAR(p["tokens"].get<double>(), 226.9e9, 0.1e9);
  EXPECT_NEAR(p["epochs"].get<double>(), 9.07, 0.01);
  EXPECT_NEAR(p["fresh_data_plan"]["params"].get<double>(), 8.87e9, 0.01e9);
  const auto& c = j["plans"]["chinchilla"];  // Hoffmann et al.'s fresh-data answer
  EXPECT_NEAR(c["params"].get<double>(), 4.984e9, 0.005e9);
  EXPECT_NEAR(c["epochs"].get<double>(), c["tokens"].get<double>() / 25e9, 1e-9);
  EXPECT_GT(c["loss_with_u"].get<double>(), p["loss"].get<double>());
  EXPECT_TRUE(j["warnings"].empty());
  ASSERT_EQ(run_cli("plan --flops 9.25956e21 --unique-tokens 25e9", &out), 0) << out;
  EXPECT_NE(out.find("9.07"), std::string::npos) << out;
  EXPECT_NE(out.find("R_D* = 15.4"), std::string::npos) << out;
  EXPECT_EQ(out.find("warning"), std::string::npos) << out;
  // 1e22 FLOPs on 1e9 unique tokens: the plan repeats them ~300 times.
  ASSERT_EQ(run_cli("plan --flops 1e22 --unique-tokens 1e9", &out), 0) << out;
  EXPECT_NE(out.find("warning: data-constrained: the plan repeats the 1B unique tokens"),
            std::string::npos)
      << out;
}

TEST(Cli, UniqueTokensBadInputIsRefused) {
  for (const auto& args :
       {"predict --params 1e9 --tokens 2e10 --unique-tokens 0",
        "predict --params 1e9 --tokens 2e10 --unique-tokens -5",
        "plan --flops 1e21 --unique-tokens 0", "plan --flops 1e21 --unique-tokens nan",
        "predict --params 1e9 --tokens 2e10 --unique-tokens inf",
        "plan --flops inf --unique-tokens 1e9"}) {
    std::string out;
    EXPECT_NE(run_cli(args, &out), 0) << args << "\n" << out;
    EXPECT_TRUE(out.find("--unique-tokens") != std::string::npos ||
                out.find("--flops") != std::string::npos)
        << args << "\n"
        << out;
    EXPECT_TRUE(out.find("not a positive number") != std::string::npos ||
                out.find("not a finite number") != std::string::npos)
        << args << "\n"
        << out;
    EXPECT_EQ(out.find("frame #"), std::string::npos) << out;
  }
  expect_one_clear_line("predict --params 1e9 --tokens 2e10 --law data-constrained",
                        "needs --unique-tokens");
  expect_one_clear_line("plan --flops 1e21 --law data-constrained", "needs --unique-tokens");
}

// plan prints the published hyperparameter laws' lr and batch at its N and D (values worked by
// hand in test_analysis_laws.cpp), and a tuned hparams.json's; a bad hparams.json is one clear
// line.
TEST(Cli, PlanPrintsHyperparameterLaws) {
  std::string out;
  ASSERT_EQ(run_cli("plan --flops 1e21 --law chinchilla --json", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  const auto& hp = j["plans"]["chinchilla"]["hyperparameters"];
  // DeepSeek at C = 1e21: lr = 0.3118 x 10^-2.625 = 7.394e-4, B = 0.2920 x 10^6.8691 = 2.160e6.
  EXPECT_NEAR(hp["deepseek-2024"]["lr"].get<double>(), 7.394e-4, 0.001e-4);
  EXPECT_NEAR(hp["deepseek-2024"]["batch_tokens"].get<double>(), 2.160e6, 0.001e6);
  // Step Law at the plan's own N and D.
  const double N = j["plans"]["chinchilla"]["params"], D = j["plans"]["chinchilla"]["tokens"];
  EXPECT_DOUBLE_EQ(hp["step-law-2025"]["lr"].get<double>(),
                   1.79 * std::pow(N, -0.713) * std::pow(D, 0.307));
  const std::string hparams = write_temp(
      "hparams.json",
      R"({"version": 1, "params_counted": "total", "laws": {"lr_opt": {"c": 0.02, "k": 0.25}},
          "sizes": [{"N": 1e4, "lr_opt": 2e-3}, {"N": 1e5, "lr_opt": 1.1e-3}]})");
  ASSERT_EQ(run_cli("plan --flops 1e21 --law chinchilla --hparams " + hparams + " --json", &out), 0)
      << out;
  j = nlohmann::json::parse(out);
  EXPECT_DOUBLE_EQ(j["plans"]["chinchilla"]["hyperparameters"][hparams]["lr"].get<double>(),
                   0.02 * std::pow(j["plans"]["chinchilla"]["params"].get<double>(), -0.25));
  EXPECT_NE(j["hyperparameter_notes"][0].get<std::string>().find("is an extrapolation"),
            std::string::npos);
  ASSERT_EQ(run_cli("plan --flops 1e21 --hparams " + hparams, &out), 0) << out;
  EXPECT_NE(out.find("step-law-2025"), std::string::npos) << out;
  expect_one_clear_line("plan --flops 1e21 --hparams /nonexistent/hparams.json",
                        "/nonexistent/hparams.json: cannot read the file");
}

// A fits.json whose fit is not identified gives no plan (it once printed N_opt = 4), and says why.
TEST(Cli, PlanRefusesADegenerateFit) {
  scalelab::FitResult f;
  f.law = scalelab::LawId::chinchilla_approach3;
  f.params = {{"E", 1e-6, 0, 1.2},       {"A", 5, 1, 100},        {"B", 400, 10, 5000},
              {"alpha", 0.9, 0.02, 1.9}, {"beta", 0.2, 0.1, 0.4}, {"a", 0.18, 0.05, 0.9}};
  const std::string path = write_temp("degenerate_fits.json", "");
  scalelab::write_fits_json(path, {f}, {});
  std::string out;
  EXPECT_EQ(run_cli("plan --flops 1e18 --law " + path, &out), 1) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("no plan from this fit, it is not identified"), std::string::npos) << out;
  EXPECT_NE(out.find("E = 1e-06, not above 0.001"), std::string::npos) << out;
  EXPECT_NE(out.find("the 95% interval of alpha"), std::string::npos) << out;
  EXPECT_EQ(out.find("tokens/param"), std::string::npos) << out;  // no plan table was printed
}

// Issue 26: `plan --flops 1e200` and `1e300` both printed D_opt = 2.06e51 (a search that lost its
// precision, printed as an optimum). Now Hoffmann et al.'s closed form, N_opt = G (C / 6)^a.
TEST(Cli, PlanAtExtremeBudgetsGivesTheClosedForm) {
  for (const char* flops : {"1e200", "1e300"}) {
    std::string out;
    ASSERT_EQ(run_cli(std::string("plan --flops ") + flops + " --law chinchilla --json", &out), 0)
        << out;
    const auto j = nlohmann::json::parse(out);
    const double C = std::stod(flops), N = j["plans"]["chinchilla"]["params"];
    EXPECT_NEAR(N / scalelab::ChinchillaLaw::chinchilla().optimal_params(C), 1.0, 1e-12) << flops;
    EXPECT_NEAR(6 * N * j["plans"]["chinchilla"]["tokens"].get<double>() / C, 1.0, 1e-12);
    ASSERT_EQ(run_cli(std::string("plan --flops ") + flops, &out), 0) << out;
    EXPECT_EQ(out.find(" 0.0 "), std::string::npos) << out;  // tokens/param was printed 0.0
  }
}

// Issue 26: `plan --unique-tokens 1` printed epochs as 14461112018670768128.00. A ratio that large
// is printed in scientific notation, and the JSON keeps the exact D / U.
TEST(Cli, PlanWithOneUniqueTokenPrintsItsEpochsReadably) {
  std::string out;
  ASSERT_EQ(run_cli("plan --flops 1e21 --unique-tokens 1 --json", &out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  for (const char* law : {"data-constrained", "chinchilla"}) {
    const auto& p = j["plans"][law];
    EXPECT_DOUBLE_EQ(p["epochs"].get<double>(), p["tokens"].get<double>() / 1.0) << law;
  }
  ASSERT_EQ(run_cli("plan --flops 1e21 --unique-tokens 1", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("[0-9]\\.[0-9]{2}e\\+[0-9]+"))) << out;
  EXPECT_FALSE(std::regex_search(out, std::regex("[0-9]{10,}\\.[0-9]"))) << out;
  // With one unique token N' and D' saturate: every split of C gives the law's floor, said so.
  EXPECT_NE(out.find("warning: data-constrained: at C = 1.000e+21 the loss is on the law's floor"),
            std::string::npos)
      << out;
}

// Issue 27: published laws say what data they were measured on, and the 20-to-1 rule is printed
// beside the laws' optima with why they differ (exponents computed from the constants).
TEST(Cli, PlanLabelsPublishedLawsAndExplainsTheTwentyToOneRule) {
  std::string out;
  ASSERT_EQ(run_cli("plan --flops 1e21", &out), 0) << out;
  EXPECT_NE(out.find("chinchilla: Hoffmann et al. 2022, approach 3, fitted to their runs on "
                     "MassiveText"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("their losses are theirs, not your data's"), std::string::npos) << out;
  EXPECT_NE(out.find("epoch: Besiroglu et al. 2024"), std::string::npos) << out;
  EXPECT_NE(out.find("20 tokens/param (rule)"), std::string::npos) << out;
  const scalelab::ChinchillaLaw h = scalelab::ChinchillaLaw::chinchilla(),
                                e = scalelab::ChinchillaLaw::epoch();
  char a[64];
  std::snprintf(a, sizeof a, "a = beta / (alpha + beta) = %.3g", h.beta / (h.alpha + h.beta));
  EXPECT_NE(out.find(a), std::string::npos) << out;
  std::snprintf(a, sizeof a, "and got a = %.3g", e.beta / (e.alpha + e.beta));
  EXPECT_NE(out.find(a), std::string::npos) << out;
  ASSERT_EQ(run_cli("plan --flops 1e21 --json", &out), 0) << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_DOUBLE_EQ(j["rule_20_tokens_per_param"]["params"].get<double>(), std::sqrt(1e21 / 120));
  EXPECT_NE(j["plans"]["chinchilla"]["measured_on"].get<std::string>().find("MassiveText"),
            std::string::npos);
}

// Issue 26: `predict --law` printed a loss from a fit `plan` refused. This approach-3 fit passes
// the identifiability gate (tight intervals) but its E is not physical: both refuse it.
TEST(Cli, PredictRefusesAFitThatPlanRefuses) {
  scalelab::FitResult f;
  f.law = scalelab::LawId::chinchilla_approach3;
  f.params = {{"E", 1e-6, 0.8e-6, 1.2e-6}, {"A", 400, 350, 450},       {"B", 400, 350, 450},
              {"alpha", 0.34, 0.32, 0.36}, {"beta", 0.34, 0.32, 0.36}, {"a", 0.5, 0.48, 0.52}};
  const std::string path = write_temp("unphysical_fits.json", "");
  scalelab::write_fits_json(path, {f}, {});
  expect_one_clear_line("plan --flops 1e21 --law " + path, "E = 1e-06, not above 0.001");
  expect_one_clear_line("predict --params 1e9 --tokens 2e10 --law " + path,
                        "no prediction from this fit, it is not identified "
                        "(chinchilla_approach3: E = 1e-06, not above 0.001");
}

// Issue 27: `plan --law fits.json` from an approach-2 fit. Noise-free IsoFLOP ladders of a law
// with alpha = beta, centred on its optimum: each budget's loss is symmetric in ln N about the
// optimum, so the parabola's vertex is the optimum and approach 2 recovers N_opt = G (C / 6)^0.5.
TEST(Cli, PlanFromAnApproach2FitsJson) {
  const scalelab::ChinchillaLaw truth{2.0, 400, 1100, 0.34, 0.34};
  const auto dir =
      std::filesystem::temp_directory_path() / ("scalelab_plan_a2_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream csv(dir / "isoflop.csv");
  csv << "N,D,loss\n";
  for (double C : {1e17, 1e18, 1e19, 1e20})
    for (int k = -4; k <= 4; ++k) {
      const double N = truth.optimal_params(C) * std::pow(2.0, k), D = C / (6 * N);
      csv.precision(17);
      csv << N << "," << D << "," << truth.loss(N, D) << "\n";
    }
  csv.close();
  std::string out;
  ASSERT_EQ(run_cli("fit " + (dir / "isoflop.csv").string() +
                        " --law approach2 --bootstrap 100 --threads 1 --out " + dir.string(),
                    &out),
            0)
      << out;
  const std::string fits = (dir / "fits.json").string();
  ASSERT_EQ(run_cli("plan --flops 1e21 --law " + fits + " --json", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  const auto& p = j["plans"][fits];
  EXPECT_EQ(p["fit"], "chinchilla_approach2");
  EXPECT_NEAR(p["params"].get<double>() / truth.optimal_params(1e21), 1.0, 1e-6) << out;
  EXPECT_NEAR(6 * p["params"].get<double>() * p["tokens"].get<double>() / 1e21, 1.0, 1e-12);
  EXPECT_TRUE(p["loss"].is_null());  // approach 2 models the optimum, not the loss
  ASSERT_EQ(run_cli("plan --flops 1e21 --law " + fits, &out), 0) << out;
  EXPECT_NE(out.find(fits + ": planned from chinchilla_approach2, the first identified fit"),
            std::string::npos)
      << out;
  // Beside an approach-3 fit that is not identified, approach 2 is used and the other named.
  auto both = scalelab::read_fits_json(fits);
  scalelab::FitResult a3;
  a3.law = scalelab::LawId::chinchilla_approach3;
  a3.params = {{"E", 2, 1.9, 2.1},        {"A", 400, 100, 900},     {"B", 1100, 500, 2000},
               {"alpha", 0.34, 0.1, 0.9}, {"beta", 0.34, 0.3, 0.4}, {"a", 0.5, 0.45, 0.55}};
  both.push_back(a3);
  const std::string mixed = (dir / "mixed.json").string();
  scalelab::write_fits_json(mixed, both, {});
  ASSERT_EQ(run_cli("plan --flops 1e21 --law " + mixed, &out), 0) << out;
  EXPECT_NE(out.find("planned from chinchilla_approach2"), std::string::npos) << out;
  EXPECT_NE(out.find("passed over, not identified: chinchilla_approach3: the 95% interval of "
                     "alpha (0.1 to 0.9) is wider than its value 0.34"),
            std::string::npos)
      << out;
  std::filesystem::remove_all(dir);
}

// An optimum outside N >= 1, D >= 1 (the closed form) or at the data-constrained search's bounds
// is one line before any table, never a clamped number; a missing fits.json says so.
TEST(Cli, PlanOptimumAtItsBoundsIsOneLine) {
  expect_one_clear_line("plan --flops 1", "lies outside N >= 1 parameter, D >= 1 token");
  expect_one_clear_line("plan --flops 10 --unique-tokens 1",
                        "the data-constrained optimum lies at the search bound N = 1 parameter");
  expect_one_clear_line("plan --flops 1e21 --law /nonexistent/fits.json",
                        "--law /nonexistent/fits.json: no such file or law");
  // predict names a path that is not there as a file (test_cli_e2e's AMissingLawFile...).
  expect_one_clear_line("predict --params 1e9 --tokens 2e10 --law /nonexistent/fits.json",
                        "--law /nonexistent/fits.json: no such file");
}
