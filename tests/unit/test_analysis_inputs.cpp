// Point readers (CSV with named columns, run folders), distinct-point counts, and their error
// messages.
#include <gtest/gtest.h>

#include <fstream>

#include "analysis/inputs/distinct.h"
#include "analysis/inputs/points.h"
#include "tests/support/synthetic_runs.h"
#include "tests/support/error_of.h"

using namespace scalelab;
using scalelab::test_util::error_of;
namespace fs = std::filesystem;

namespace {

fs::path write_csv(const std::string& name, const std::string& text) {
  auto p = synth::fresh_dir("points") / name;
  std::ofstream(p) << text;
  return p;
}

}  // namespace

TEST(Csv, ReadsNamedColumnsAndDerivesTokensFromFlops) {
  auto p = write_csv("a.csv", "\"Model Size\",Training FLOP,loss\n1e8,6e17,3.5\n2e8,2.4e18,3.2\n");
  CsvColumns c;
  c.n = "Model Size", c.c = "Training FLOP";
  auto pts = read_csv_points(p.string(), c);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_DOUBLE_EQ(pts[0].D, 6e17 / (6 * 1e8));  // D = C / (6 N)
  EXPECT_DOUBLE_EQ(pts[1].loss, 3.2);
}

TEST(Csv, TokensColumnGivesFlops) {
  auto pts = read_csv_points(write_csv("b.csv", "N,D,loss\n1e8,2e9,3\n").string());
  EXPECT_DOUBLE_EQ(pts[0].C, 6 * 1e8 * 2e9);
}

TEST(Csv, MissingColumnNamesColumnAndFlag) {
  auto p = write_csv("c.csv", "N,D,val\n1,2,3\n");
  auto msg = error_of([&] { read_csv_points(p.string()); });
  EXPECT_NE(msg.find("no column 'loss' (--loss-col)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'val'"), std::string::npos) << msg;
  auto p2 = write_csv("d.csv", "N,loss\n1,2\n");
  msg = error_of([&] { read_csv_points(p2.string()); });
  EXPECT_NE(msg.find("--d-col"), std::string::npos) << msg;
}

TEST(Csv, NonPositiveAndNonNumericValuesNameRowAndColumn) {
  auto p = write_csv("e.csv", "N,D,loss\n1e8,2e9,3\n-1e8,2e9,3\n");
  auto msg = error_of([&] { read_csv_points(p.string()); });
  EXPECT_NE(msg.find(":3: column 'N'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("must be positive"), std::string::npos) << msg;
  auto p2 = write_csv("f.csv", "N,D,loss\n1e8,abc,3\n");
  msg = error_of([&] { read_csv_points(p2.string()); });
  EXPECT_NE(msg.find("'abc' is not a number"), std::string::npos) << msg;
}

TEST(Runs, ReadsSummariesCurvesAndParamCounts) {
  auto root = synth::fresh_dir("runs_ok");
  for (double N : {1e6, 2e6})
    synth::write_run(
        root / "sweep",
        {"n" + std::to_string(int(N)), N, 20 * N, 1e15, {{"budget", 1e15}}, [](double t) {
           return 3 + 1e3 / t;
         }});
  RunSet set = read_runs(root.string());
  ASSERT_EQ(set.runs.size(), 2u);
  EXPECT_EQ(set.runs[0].train.size(), 20u);
  EXPECT_EQ(set.runs[0].eval.size(), 20u);
  EXPECT_DOUBLE_EQ(set.runs[0].budget, 1e15);
  auto total = run_points(set.runs, ParamCount::total),
       ne = run_points(set.runs, ParamCount::non_embedding);
  EXPECT_DOUBLE_EQ(total[0].N, 1.1e6);
  EXPECT_DOUBLE_EQ(ne[0].N, 1e6);
  EXPECT_DOUBLE_EQ(ne[0].loss, 3 + 1e3 / 2e7);
  RunReadOptions o;
  o.flop_convention = FlopConvention::six_n_total;
  EXPECT_DOUBLE_EQ(read_runs(root.string(), o).runs[0].flops, 6 * 1e6 * 2e7 * 1.1);
  o.flop_convention = FlopConvention::palm;
  auto msg = error_of([&] { read_runs(root.string(), o); });
  EXPECT_NE(msg.find("no flops.palm"), std::string::npos) << msg;
}

TEST(Runs, RunsWithoutSummariesAreListedByName) {
  auto root = synth::fresh_dir("runs_missing");
  auto loss = [](double t) { return 3 + 1e3 / t; };
  synth::write_run(root, {"done", 1e6, 2e7, 0, {}, loss});
  synth::SyntheticRun a{"running_a", 1e6, 2e7, 0, {}, loss}, b{"running_b", 2e6, 2e7, 0, {}, loss};
  a.write_summary = b.write_summary = false;
  synth::write_run(root, a);
  synth::write_run(root, b);
  auto msg = error_of([&] { read_runs(root.string()); });
  EXPECT_NE(msg.find("2 run(s) without summary.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("running_a, running_b"), std::string::npos) << msg;
  RunReadOptions o;
  o.allow_missing_summary = true;
  auto set = read_runs(root.string(), o);
  EXPECT_EQ(set.runs.size(), 1u);
  EXPECT_EQ(set.unfinished.size(), 2u);
}

TEST(Runs, EmptyFolderIsAnError) {
  auto root = synth::fresh_dir("runs_empty");
  auto msg = error_of([&] { read_runs(root.string()); });
  EXPECT_NE(msg.find("no run folders"), std::string::npos) << msg;
}

TEST(Points, TooFewPointsMessage) {
  auto msg = error_of([] { require_points(2, 5, "kaplan L(N, D)"); });
  EXPECT_EQ(msg, "kaplan L(N, D): needs at least 5 points, got 2");
}

TEST(Points, DistinctCountsIgnoreRepeatedRows) {
  const std::vector<Point> same(8, Point{1e8, 2e9, 1.2e18, 3.1, ""});
  EXPECT_EQ(count_distinct_nd(same), 1u);
  // D = C / (6 N) rounded differently still counts once; a 0.01% difference does not.
  std::vector<Point> pts = {{1e8, 2e9, 0, 3, ""},
                            {1e8, 2e9 * (1 + 1e-13), 0, 3, ""},
                            {1e8, 2.0002e9, 0, 3, ""},
                            {3e8, 2e9, 0, 3, ""}};
  EXPECT_EQ(count_distinct_nd(pts), 3u);
  EXPECT_EQ(count_distinct({1.0, 1.0, 2.0, 3.0, 3.0}), 3u);
  EXPECT_EQ(count_distinct_pairs({{1, 2}, {2, 1}, {1, 2}}), 2u);
}

TEST(Points, TooFewDistinctPointsMessage) {
  auto msg =
      error_of([] { require_distinct(1, 8, 5, "kaplan L(N, D) (4 constants)", "(N, D) points"); });
  EXPECT_EQ(
      msg,
      "kaplan L(N, D) (4 constants): needs at least 5 distinct (N, D) points, got 1 (from 8 rows)");
  msg = error_of([] { require_distinct(2, 2, 3, "kaplan L(N)", "x values"); });
  EXPECT_EQ(msg, "kaplan L(N): needs at least 3 distinct x values, got 2");
  EXPECT_EQ(error_of([] { require_distinct(5, 8, 5, "law", "points"); }), "(no error)");
}
