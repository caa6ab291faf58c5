// trainer/coord_check: the coordinate check of Yang et al. 2022 (sec. 4) on a small byte-level
// dataset. After a few Adam steps at one lr the logits' scale grows with width under the standard
// parameterization (Adam's update moves every entry of a width-n matrix by ~lr, so h.w grows
// ~ n), and stays (nearly) flat under muP.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/datasets.h"
#include "trainer/coord_check.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

Config tiny(const std::string& data) {
  Config c;
  c.data.path = data;
  c.model.vocab_size = 257;  // bytes and end-of-document
  c.model.block_size = 32;
  c.model.n_layer = 2;
  c.model.n_head = 4;
  c.model.n_embd = 32;
  c.train.batch_size = 8;
  c.optim.lr = 1e-2;
  return c;
}

}  // namespace

TEST(CoordCheck, LogitScaleAgainstWidthIsFlatterUnderMupThanStandard) {
  const auto dir = temp_dir("coord_check");
  const Config c = tiny(make_dataset(dir));
  CoordCheckOptions o;
  o.widths = {32, 64, 128, 256};
  o.parameterizations = {Parameterization::standard, Parameterization::mup};
  o.steps = 3;
  o.seeds = 1;
  const auto points = coord_check(c, o);
  // (steps + 1) records of embeddings, 2 blocks, logits and last_block per model.
  EXPECT_EQ(points.size(), 2u * 4u * 4u * 5u);
  const double standard = coord_slope(points, Parameterization::standard, "width", "logits", 3);
  const double mup = coord_slope(points, Parameterization::mup, "width", "logits", 3);
  std::printf(
      "[coord-check] logits' log-log slope against width after 3 steps: standard %+.3f, "
      "mup %+.3f\n",
      standard, mup);
  EXPECT_LT(std::abs(mup), std::abs(standard));
  // Theory: ~ +1 under standard once the updates dominate the init's +0.5; muP's stays near 0.
  EXPECT_GT(standard, 0.5);
  EXPECT_LT(std::abs(mup), 0.25);
  fs::remove_all(dir);
}

// CompleteP's 1 / depth branches keep the residual stream's scale after a few steps as depth
// grows; muP (width only) lets each added block add its own update.
TEST(CoordCheck, ResidualStreamAgainstDepthIsFlatterUnderCompletepThanMup) {
  const auto dir = temp_dir("coord_check_depth");
  const Config c = tiny(make_dataset(dir));
  CoordCheckOptions o;
  o.depths = {2, 4, 8};
  o.parameterizations = {Parameterization::mup, Parameterization::completep};
  o.steps = 3;
  o.seeds = 1;
  const auto points = coord_check(c, o);
  const double mup = coord_slope(points, Parameterization::mup, "depth", "last_block", 3);
  const double cp = coord_slope(points, Parameterization::completep, "depth", "last_block", 3);
  std::printf(
      "[coord-check] last block's log-log slope against depth after 3 steps: mup %+.3f, "
      "completep %+.3f\n",
      mup, cp);
  EXPECT_LT(std::abs(cp), std::abs(mup));
  fs::remove_all(dir);
}

TEST(CoordCheck, ABadWidthFailsBeforeAnyTraining) {
  const auto dir = temp_dir("coord_check_bad");
  const Config c = tiny(make_dataset(dir));
  CoordCheckOptions o;
  o.widths = {32, 50};  // 50 is not divisible by n_head 4
  o.parameterizations = {Parameterization::mup};
  int runs = 0;
  try {
    coord_check(c, o, [&](int, int) { ++runs; });
    FAIL() << "width 50 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.n_embd"), std::string::npos) << e.what();
  }
  EXPECT_EQ(runs, 0);
  o.widths = {32};
  Config small_vocab = c;
  small_vocab.model.vocab_size = 100;
  try {
    coord_check(small_vocab, o);
    FAIL() << "vocab_size 100 accepted for a byte dataset";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.vocab_size: 100 is smaller"), std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}
