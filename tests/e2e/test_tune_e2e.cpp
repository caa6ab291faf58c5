// `scalelab tune` end to end through the binary: 2 sizes x 3 learning rates of configs/debug.yaml
// on the fixture dataset, trained by the sweep runner, then hparams.json and the figure; a second
// invocation skips every finished run and writes the same law.
#include <gtest/gtest.h>

#include <cstdio>
#include <sys/wait.h>

#include "core/hparams.h"
#include "tests/support/datasets.h"

using namespace scalelab;
using namespace scalelab::test_util;

TEST(TuneE2E, TwoSizesThreeLearningRatesGiveHparamsJson) {
  const fs::path dir = temp_dir("tune_e2e");
  const std::string dataset = shared_dataset();
  const fs::path file = dir / "tune.yaml", root = dir / "runs";
  std::ofstream(file) << "base: " << SCALELAB_SOURCE_DIR << "/configs/debug.yaml\n"
                      << "out_root: " << root.string() << "\n"
                      << "name: \"d{model.n_embd}\"\n"
                      << "set: {data.path: " << dataset << ", train.steps: 40, log.every: 10}\n"
                      << "zip: {model.n_embd: [24, 32], model.n_head: [3, 4]}\n"
                      // Measured here at 40 steps: d24 2.649, 2.534, 2.677 and d32 2.688, 2.586,
                      // 3.192, interior minima by 0.1 or more, far beyond run-to-run variation.
                      << "tune: {lr: [0.01, 0.3, 2], warmup_tokens_per_param: 0.25}\n";
  std::string out;
  ASSERT_EQ(run_cli("tune " + file.string() + " --dry-run --no-measure", &out), 0) << out;
  ASSERT_EQ(run_cli("tune " + file.string() + " --jobs 2 --bootstrap 50", &out), 0) << out;
  EXPECT_NE(out.find("lr_opt(N) = c N^-k"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(root / "tune_sweep.yaml"));
  EXPECT_TRUE(fs::exists(root / "tune_lr.png"));
  const Hparams h = read_hparams((root / "hparams.json").string());
  ASSERT_EQ(h.sizes.size(), 2u);
  EXPECT_EQ(h.params_counted, "total");
  EXPECT_DOUBLE_EQ(h.warmup_tokens_per_param, 0.25);
  for (const auto& s : h.sizes) {
    EXPECT_GT(s.lr_opt, 0.01) << s.N;  // interior
    EXPECT_LT(s.lr_opt, 2) << s.N;
  }
  EXPECT_TRUE(fs::exists(root / "d24-lr0.3" / "summary.json"));
  // The runner is idempotent: the second call trains nothing and fits the same law.
  ASSERT_EQ(run_cli("tune " + file.string() + " --bootstrap 50", &out), 0) << out;
  EXPECT_NE(out.find("skipped"), std::string::npos) << out;
  const Hparams again = read_hparams((root / "hparams.json").string());
  EXPECT_DOUBLE_EQ(again.lr.c, h.lr.c);
  EXPECT_DOUBLE_EQ(again.lr.k, h.lr.k);
  fs::remove_all(dir);
}

// A tune grid of one learning rate: one clear line, before anything runs.
TEST(Cli, TuneWithOneLearningRateIsOneClearLine) {
  const std::string file =
      write_temp("tune_one_lr.yaml",
                 std::string("base: ") + SCALELAB_SOURCE_DIR +
                     "/configs/debug.yaml\nout_root: /nonexistent/never\ntune: {lr: [3e-3]}\n");
  expect_one_clear_line("tune " + file, "tune.lr: 1 distinct learning rate(s) (0.003)");
}
