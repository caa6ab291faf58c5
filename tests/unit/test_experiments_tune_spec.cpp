// `scalelab tune`'s file (experiments/tune_spec.h): a grid of one lr is refused in one line, and a
// tune file expands into a sweep whose runs carry the tune's tags and size-scaled warmup.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <stdexcept>

#include "core/counts.h"
#include "experiments/sweep.h"
#include "experiments/tune_spec.h"

using namespace scalelab;

TEST(TuneSpec, OneLearningRateIsOneClearLine) {
  try {
    sweep::parse_tune("base: x.yaml\ntune: {lr: [3e-3]}\n", "t.yaml", ".");
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("t.yaml:2: tune.lr: 1 distinct learning rate(s) (0.003); a parabola"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
  EXPECT_THROW(sweep::parse_tune("base: x.yaml\n", "t.yaml", "."), std::runtime_error);
  EXPECT_THROW(sweep::parse_tune("base: x.yaml\ngrid: {optim.lr: [1, 2]}\ntune: {lr: [1e-3, 2e-3, "
                                 "4e-3]}\n",
                                 "t.yaml", "."),
               std::runtime_error);
}

TEST(TuneSpec, ExpandsIntoASweepWithTagsAndSizeScaledWarmup) {
  const std::string text =
      "base: configs/debug.yaml\n"
      "zip: {model.n_embd: [16, 32], model.n_head: [2, 4]}\n"
      "tune: {lr: [1e-3, 3e-3, 1e-2]}\n";
  const sweep::TuneSpec t = sweep::parse_tune(text, "t.yaml", SCALELAB_SOURCE_DIR);
  const auto runs = sweep::expand(sweep::parse_spec(t.sweep_yaml, "tune_sweep.yaml", "/"));
  ASSERT_EQ(runs.size(), 6u);
  for (const auto& r : runs) {
    std::map<std::string, std::string> tags(r.tags.begin(), r.tags.end());
    EXPECT_EQ(std::stod(tags.at("tune_lr")), r.config.optim.lr) << r.name;
    EXPECT_DOUBLE_EQ(r.config.optim.min_lr, 0.1 * r.config.optim.lr) << r.name;
    EXPECT_EQ(tags.at("tune_batch_size"), "8");
    // Porian et al.: warm up for as many tokens as the model has parameters.
    const double N = double(count_params(r.config.model).total);
    EXPECT_EQ(r.config.schedule.warmup_steps, std::llround(N / (8 * 32))) << r.name;
    EXPECT_EQ(r.config.schedule.warmup_fraction, 0);
  }
}
