// Transfer: fine-tuned runs built from a known D_T = k D_F^alpha N^beta are fitted back.
#include <gtest/gtest.h>

#include <cmath>

#include "analysis/fits/transfer.h"
#include "tests/support/synthetic_runs.h"

using namespace scalelab;

namespace {

// Hernandez et al. 2021 text->python: alpha 0.18, beta 0.38; k chosen so D_T ~ D_F here.
const double kK = 500.0, kAlpha = 0.18, kBeta = 0.38;
double scratch_loss(double N, double D) {
  return 1.5 + 300 / std::pow(N, 0.3) + 900 / std::pow(D, 0.3);
}

}  // namespace

TEST(Transfer, RecoversEffectiveDataTransferred) {
  auto root = synth::fresh_dir("transfer");
  int id = 0;
  for (double N : {1e6, 4e6, 1.6e7}) {
    // Scratch runs at this N from 1e5 to 1e11 tokens, covering every fine-tuned loss.
    for (double D = 1e5; D < 2e11; D *= 3)
      synth::write_run(root, {"scratch" + std::to_string(id++),
                              N,
                              D,
                              0,
                              {{"study", "transfer"}, {"role", "scratch"}},
                              [N](double t) { return scratch_loss(N, t); }});
    for (double D_F : {1e6, 1e7, 1e8}) {
      const double D_T = kK * std::pow(D_F, kAlpha) * std::pow(N, kBeta);
      const double L = scratch_loss(N, D_F + D_T);
      synth::write_run(root,
                       {"ft" + std::to_string(id++),
                        N,
                        D_F,
                        0,
                        {{"study", "transfer"}, {"role", "finetune"}, {"finetune_tokens", D_F}},
                        [L](double) { return L; }});
    }
  }
  auto set = read_runs(root.string());
  FitResult f = fit_transfer(set.runs, ParamCount::non_embedding, {100, 1, 0});
  EXPECT_EQ(f.data["n_points"], 9);
  EXPECT_NEAR(f.value("alpha"), kAlpha, 0.02);
  EXPECT_NEAR(f.value("beta"), kBeta, 0.02);
  EXPECT_NEAR(std::log(f.value("k")), std::log(kK), 0.3);
}

TEST(Transfer, MissingRolesAreAnError) {
  auto root = synth::fresh_dir("transfer_missing");
  synth::write_run(
      root,
      {"s", 1e6, 1e9, 0, {{"study", "transfer"}, {"role", "scratch"}}, [](double) { return 3.0; }});
  auto set = read_runs(root.string());
  try {
    fit_transfer(set.runs, ParamCount::total, {});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("1 scratch, 0 finetune"), std::string::npos) << e.what();
  }
}

TEST(Transfer, RepeatedFineTunesCountOnce) {
  // Four fine-tuned runs of one (D_F, N): four rows but one point, too few for 3 constants.
  auto root = synth::fresh_dir("transfer_repeated");
  const double N = 4e6, L = scratch_loss(N, 3e7);
  const nlohmann::json scratch = {{"study", "transfer"}, {"role", "scratch"}};
  const nlohmann::json finetune = {
      {"study", "transfer"}, {"role", "finetune"}, {"finetune_tokens", 1e7}};
  int id = 0;
  for (double D = 1e5; D < 2e11; D *= 3)
    synth::write_run(root, {"s" + std::to_string(id++), N, D, 0, scratch,
                            [N](double t) { return scratch_loss(N, t); }});
  for (int seed = 0; seed < 4; ++seed)
    synth::write_run(root,
                     {"ft" + std::to_string(seed), N, 1e7, 0, finetune, [L](double) { return L; }});
  auto set = read_runs(root.string());
  try {
    fit_transfer(set.runs, ParamCount::non_embedding, {});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "transfer D_T = k D_F^alpha N^beta (3 constants): needs at least 4 distinct (D_F, N) "
              "points, got 1 (from 4 rows)");
  }
}
