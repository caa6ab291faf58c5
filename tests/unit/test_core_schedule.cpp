// Learning-rate schedules (core/schedule.h) against their formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "core/schedule.h"

using namespace scalelab;

TEST(Schedule, WarmupThenCosineToMinLr) {
  ScheduleConfig s;
  s.kind = Schedule::cosine;
  s.warmup_steps = 10;
  OptimConfig o;
  o.lr = 1e-3, o.min_lr = 1e-4;
  const int64_t total = 110;
  for (int64_t i = 0; i < 10; ++i)
    EXPECT_DOUBLE_EQ(learning_rate(s, o, i, total), 1e-3 * (i + 1) / 10);
  EXPECT_DOUBLE_EQ(learning_rate(s, o, 10, total), 1e-3);
  EXPECT_NEAR(learning_rate(s, o, total - 1, total), 1e-4, 1e-15);
  for (int64_t i = 10; i < total; ++i) {
    double p = double(i - 10) / 99.0;
    EXPECT_NEAR(learning_rate(s, o, i, total), 1e-4 + 0.5 * 9e-4 * (1 + std::cos(M_PI * p)), 1e-15);
  }
}

TEST(Schedule, LinearConstantAndFractionWarmup) {
  ScheduleConfig s;
  s.warmup_fraction = 0.1;
  OptimConfig o;
  o.lr = 2.0, o.min_lr = 0.0;
  EXPECT_EQ(warmup_steps(s, 50), 5);
  s.kind = Schedule::linear;
  EXPECT_DOUBLE_EQ(learning_rate(s, o, 5, 50), 2.0);
  EXPECT_DOUBLE_EQ(learning_rate(s, o, 49, 50), 0.0);
  EXPECT_NEAR(learning_rate(s, o, 27, 50), 2.0 * (1 - 22.0 / 44.0), 1e-12);
  s.kind = Schedule::constant;
  EXPECT_DOUBLE_EQ(learning_rate(s, o, 49, 50), 2.0);
  EXPECT_DOUBLE_EQ(learning_rate(s, o, 0, 50), 0.4);
}

TEST(Schedule, WarmupStableDecay) {
  ScheduleConfig s;
  s.kind = Schedule::wsd;
  s.warmup_steps = 5;
  s.decay_fraction = 0.2;
  OptimConfig o;
  o.lr = 1.0, o.min_lr = 0.1;
  const int64_t total = 100;  // stable through step 79, then 20 decay steps
  EXPECT_DOUBLE_EQ(learning_rate(s, o, 50, total), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(s, o, 79, total), 1.0);
  EXPECT_NEAR(learning_rate(s, o, 80, total), 1.0 - 0.9 * 1.0 / 20, 1e-12);
  EXPECT_NEAR(learning_rate(s, o, 89, total), 1.0 - 0.9 * 10.0 / 20, 1e-12);
  EXPECT_NEAR(learning_rate(s, o, 99, total), 0.1, 1e-12);
}

TEST(Schedule, WsdCooldownShapesEndAtMinLr) {
  ScheduleConfig s;
  s.kind = Schedule::wsd;
  s.warmup_steps = 10;
  s.decay_fraction = 0.2;
  OptimConfig o;
  o.lr = 1e-3;
  o.min_lr = 1e-4;
  const int64_t total = 100;
  EXPECT_EQ(wsd_decay_start(s, total), 80);
  for (DecayShape shape : {DecayShape::linear, DecayShape::one_minus_sqrt}) {
    s.decay_shape = shape;
    EXPECT_DOUBLE_EQ(learning_rate(s, o, 79, total), 1e-3);  // still stable
    EXPECT_DOUBLE_EQ(learning_rate(s, o, 99, total), 1e-4);  // the last step reaches min_lr
    const double p = 5.0 / 20.0;                             // step 84: 5 of 20 decay steps done
    const double expected =
        shape == DecayShape::linear ? 1e-3 - 9e-4 * p : 1e-4 + 9e-4 * (1 - std::sqrt(p));
    EXPECT_NEAR(learning_rate(s, o, 84, total), expected, 1e-15);
  }
}
