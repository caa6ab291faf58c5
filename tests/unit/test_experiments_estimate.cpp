// Time estimates against closed forms: the throughput line through measured rates, a schedule's
// makespan on parallel slots with parents, and the sweep's progress and ETA.
#include <gtest/gtest.h>

#include <cmath>

#include "experiments/estimate.h"
#include "experiments/sweep_progress.h"
#include "tests/support/sweep_files.h"

using namespace scalelab;
using namespace scalelab::sweep;
using scalelab::test_util::SweepTest;

// FLOP rate = c f^k is a line in log-log: the fit recovers it exactly, with no scatter; noise of
// +-10% in alternate points shows as their RMS deviation in log space.
TEST(SweepEstimate, FitThroughputRecoversAPowerLawAndItsScatter) {
  auto rate = [](double f) { return 3e9 * std::pow(f, 0.3); };  // FLOPs per second
  std::vector<RatePoint> points;
  for (double f : {1e5, 3e5, 1e6, 3e6}) points.push_back({f, rate(f) / f});
  Throughput t = fit_throughput(points);
  EXPECT_DOUBLE_EQ(t.small_flops_per_token, 1e5);
  EXPECT_DOUBLE_EQ(t.large_flops_per_token, 3e6);
  EXPECT_NEAR(t.small_tokens_per_s, rate(1e5) / 1e5, 1e-9 * rate(1e5) / 1e5);
  EXPECT_NEAR(t.large_tokens_per_s, rate(3e6) / 3e6, 1e-9 * rate(3e6) / 3e6);
  EXPECT_NEAR(t.spread, 0, 1e-12);
  // One size: the geometric mean of its rates, and their deviation with one degree of freedom.
  t = fit_throughput({{1e5, 100 * 1.1}, {1e5, 100 / 1.1}});
  EXPECT_NEAR(t.small_tokens_per_s, 100, 1e-9);
  EXPECT_NEAR(t.spread, std::sqrt(2 * std::pow(std::log(1.1), 2) / 1), 1e-12);
  EXPECT_THROW(fit_throughput({}), std::invalid_argument);
}

TEST_F(SweepTest, EstimateSecondsIsTokensOverTheRateWithEvalsAndStart) {
  auto runs = expand_text("set: {train.steps: 100, eval.every: 0, eval.n_batches: 2}\n");
  const sweep::Run& r = runs[0];
  Throughput t = fit_throughput({{cost_per_token(r), 1000}});
  t.includes_evals = true;
  EXPECT_NEAR(estimate_seconds(r, t), r.tokens / 1000, 1e-9);
  t.startup_s = 2;
  EXPECT_NEAR(estimate_seconds(r, t), r.tokens / 1000 + 2, 1e-9);
  t.includes_evals = false;  // one evaluation of 2 x 8 windows of 32 tokens, a third the work
  EXPECT_NEAR(estimate_seconds(r, t), (r.tokens + 2 * 8 * 32 / 3.0) / 1000 + 2, 1e-9);
}

TEST(SweepEstimate, MakespanFillsTheSlotsInOrderAndWaitsForParents) {
  EXPECT_DOUBLE_EQ(makespan_seconds({{10}, {10}, {10}, {10}}, 2), 20);
  EXPECT_DOUBLE_EQ(makespan_seconds({{10}, {10}, {10}, {10}}, 1), 40);
  EXPECT_DOUBLE_EQ(makespan_seconds({{30}, {10}, {10}, {10}}, 2), 30);
  // Running runs hold their slots: 5 s and 8 s left; the next run starts at 5.
  EXPECT_DOUBLE_EQ(makespan_seconds({{5, true}, {8, true}, {10}}, 2), 15);
  // A child waits for its parent although a slot is free: 10 + 4.
  EXPECT_DOUBLE_EQ(makespan_seconds({{10}, {4, false, 0}}, 2), 14);
  EXPECT_DOUBLE_EQ(makespan_seconds({}, 2), 0);
}

TEST_F(SweepTest, ProgressCountsRunsAndTakesItsEtaFromMeasuredRates) {
  auto runs = expand_text("set: {train.steps: 100}\ngrid: {train.seed: [1, 2, 3, 4]}\n");
  const double d = runs[0].tokens;  // the same for every run: 100 x 8 x 32
  using Phase = RunProgress::Phase;
  std::vector<RunProgress> p(4);
  for (size_t i = 0; i < 4; ++i) p[i].run = &runs[i];
  ProgressEstimate e = estimate_progress(p, 2);
  EXPECT_EQ(e.left, 4);
  EXPECT_FALSE(e.eta_s);
  EXPECT_EQ(progress_line(e, 2),
            "[sweep] progress: 0/4 ended, 0 running, 4 left; ETA once a run has logged its "
            "throughput");
  // One ended at d / 10 s, one running a quarter through at 2d / 10 s: both rates are of one
  // size, their geometric mean (d / 10 * sqrt 2) times the pending runs.
  p[0].phase = Phase::ended;
  p[0].trained_here = true;
  p[0].tokens_per_s = d / 10;
  p[1].phase = Phase::running;
  p[1].tokens_done = d / 4;
  p[1].tokens_per_s = 2 * d / 10;
  e = estimate_progress(p, 2);
  EXPECT_EQ(e.ended, 1);
  EXPECT_EQ(e.running, 1);
  EXPECT_EQ(e.left, 2);
  EXPECT_EQ(e.n_rates, 2);
  const double pending = d / (d / 10 * std::sqrt(2.0));
  const double running_left = 0.75 * d / (2 * d / 10);  // 3.75 s
  // The third run takes the free slot at 0, the fourth the running run's when it ends at 3.75 s.
  ASSERT_TRUE(e.eta_s);
  EXPECT_NEAR(*e.eta_s, running_left + pending, 1e-9);
  p[3].phase = Phase::ended;
  p[3].failed = true;
  const std::string line = progress_line(estimate_progress(p, 1), 1);
  EXPECT_EQ(line.rfind("[sweep] progress: 2/4 ended (1 failed), 1 running, 1 left; ETA ", 0), 0u)
      << line;
  EXPECT_NE(line.find("(1 at a time; from 2 measured rate(s))"), std::string::npos) << line;
}
