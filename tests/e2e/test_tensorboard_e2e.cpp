// log.tensorboard: the event files, read back with the tensorboard package's own reader, hold the
// same scalars as metrics.jsonl (against the step and against the tokens), also after a pause and
// resume; a Python without the package is one clear error before training starts.
#include <gtest/gtest.h>

#include <sstream>

#include "tests/support/run.h"
#include "tests/support/datasets.h"
#include "tests/support/full_disk.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

std::string train_args(const std::string& dataset, const fs::path& run) {
  return std::string("train ") + SCALELAB_SOURCE_DIR +
         "/configs/debug.yaml --set data.path=" + dataset +
         " --set log.tensorboard=true --set log.every=2 --out " + run.string();
}

nlohmann::json read_back(const fs::path& run) {
  std::string out;
  const fs::path json = run / "tensorboard.json";
  EXPECT_EQ(shell(std::string(SCALELAB_PYTHON) + " " + SCALELAB_SOURCE_DIR +
                      "/tests/support/tensorboard_scalars.py " + run.string() + " " + json.string(),
                  &out),
            0)
      << out;
  return read_json(json);
}

// Every metrics.jsonl value, as TensorBoard must show it: tag -> [[x, value]] by step or tokens.
std::map<std::string, std::vector<std::pair<int64_t, double>>> expected(const fs::path& run,
                                                                        const std::string& x) {
  std::map<std::string, std::vector<std::pair<int64_t, double>>> out;
  std::ifstream in(run / "metrics.jsonl");
  const std::map<std::string, std::string> tags = {{"loss", "train/loss"},
                                                   {"lr", "train/lr"},
                                                   {"grad_norm", "train/grad_norm"},
                                                   {"tokens_per_s", "train/tokens_per_s"},
                                                   {"val_loss", "val/loss"}};
  for (std::string text; std::getline(in, text);) {
    const auto line = nlohmann::json::parse(text);
    for (const auto& [key, tag] : tags)
      if (line.contains(key) && line[key].is_number())
        out[tag].emplace_back(line[x].get<double>(), line[key].get<double>());
  }
  return out;
}

void expect_same_scalars(const fs::path& run) {
  const auto back = read_back(run);
  for (const auto& [name, x] : {std::pair{"by_step", "step"}, std::pair{"by_tokens", "tokens"}}) {
    const auto want = expected(run, x);
    ASSERT_FALSE(want.empty());
    for (const auto& [tag, points] : want) {
      ASSERT_TRUE(back[name].contains(tag)) << name << " has no " << tag;
      const auto& got = back[name][tag];
      ASSERT_EQ(got.size(), points.size()) << name << " " << tag;
      for (size_t i = 0; i < points.size(); ++i) {
        EXPECT_EQ(got[i][0].get<int64_t>(), points[i].first) << name << " " << tag;
        // TensorBoard stores float32.
        EXPECT_NEAR(got[i][1].get<double>(), points[i].second,
                    1e-6 * std::abs(points[i].second) + 1e-30)
            << name << " " << tag << " at " << points[i].first;
      }
    }
    EXPECT_FALSE(back[name].contains("train/mfu"));  // null on the CPU: not logged as a number
  }
}

class TensorBoardLog : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = temp_dir("tensorboard");
    setup_error_ = ensure_python_packages("tensorboard", "tensorboard");
    if (setup_error_.empty()) dataset_ = make_dataset(dir_, 16, 200);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }
  static inline fs::path dir_;
  static inline std::string setup_error_, dataset_;
};

TEST_F(TensorBoardLog, ScalarsReadBackEqualMetricsJsonl) {
  std::string out;
  ASSERT_EQ(run_cli(train_args(dataset_, dir_ / "fresh"), &out), 0) << out;
  expect_same_scalars(dir_ / "fresh");
}

TEST_F(TensorBoardLog, PauseAndResumeLeaveNoStaleOrDoubleScalars) {
  const fs::path run = dir_ / "resumed";
  std::string out;
  // Paused at step 7, then its checkpoint lost: the run resumes from step 5, metrics.jsonl is
  // cut back to its length there, and TensorBoard must drop steps 6-7 of the first session too.
  ASSERT_EQ(
      run_cli(train_args(dataset_, run) + " --set checkpoint.every=5 --stop-after-step 7", &out), 0)
      << out;
  ASSERT_TRUE(fs::remove(run / "checkpoints" / "step_00000007.pt")) << out;
  ASSERT_EQ(run_cli(train_args(dataset_, run) + " --set checkpoint.every=5 --resume", &out), 0)
      << out;
  EXPECT_NE(out.find("resuming"), std::string::npos) << out;
  expect_same_scalars(run);
}

TEST_F(TensorBoardLog, PythonWithoutThePackageIsOneClearError) {
  // A Python that surely lacks tensorboard: an empty virtual environment is too slow to make, so
  // a Python started with -I -S (no site-packages) stands in, through a wrapper script.
  const fs::path wrapper = dir_ / "bare_python";
  std::ofstream(wrapper) << "#!/bin/sh\nexec " << SCALELAB_PYTHON << " -I -S \"$@\"\n";
  fs::permissions(wrapper, fs::perms::owner_all);
  std::string out;
  const int rc = shell("SCALELAB_PYTHON=" + wrapper.string() + " " + SCALELAB_BINARY_DIR +
                           "/scalelab " + train_args(dataset_, dir_ / "bare"),
                       &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("log.tensorboard: the tensorboard Python package is not importable"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("pip install tensorboard"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_ / "bare" / "checkpoints"));  // refused before training
}

// Issue 26: on a full disk the event writer printed two Python tracebacks, and metrics.jsonl got
// half a line under an error that said "(the previous file is kept)". Now: one line each, no
// traceback, metrics.jsonl whole lines only, and the run resumes from its last checkpoint.
TEST_F(TensorBoardLog, AFullDiskIsOneLineEachAndLeavesNoHalfLine) {
  const fs::path disk = dir_ / "disk";
  fs::create_directories(disk);
  const std::string more =
      " --set log.every=1 --set train.steps=3000 --set checkpoint.every=100000 --checkpoint-at 20";
  // 400 KB: the checkpoint at step 20 (160 KB) and a few hundred steps of logs fit, then the
  // disk is full while metrics.jsonl, log.txt and the event files grow.
  const FullDiskRun r = run_on_full_disk(
      disk, 400, 120, "", scalelab_binary() + " " + train_args(dataset_, disk / "run") + more);
  std::printf("[full disk] %s\n", r.how.c_str());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.find("Traceback"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("File \""), std::string::npos) << r.output;
  std::istringstream lines(r.output);
  int n_errors = 0, n_tensorboard = 0;
  for (std::string line; std::getline(lines, line);) {
    n_errors += line.rfind("scalelab: error: ", 0) == 0;
    n_tensorboard += line.find("[tensorboard]") != std::string::npos;
  }
  EXPECT_EQ(n_errors, 1) << r.output;
  EXPECT_LE(n_tensorboard, 1) << r.output;
  EXPECT_NE(r.output.find("metrics.jsonl: cannot append"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("the line was not written"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("previous file is kept"), std::string::npos) << r.output;
  // Whole lines only, and the run continues from its last checkpoint once there is room.
  const fs::path run = r.files / "run";
  const std::string metrics = slurp(run / "metrics.jsonl");
  ASSERT_FALSE(metrics.empty()) << r.output;
  EXPECT_EQ(metrics.back(), '\n');
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);)
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
  ASSERT_FALSE(fs::is_empty(run / "checkpoints")) << r.output;
  std::string out;
  ASSERT_EQ(run_cli(train_args(dataset_, run) + more + " --resume", &out), 0) << out;
  EXPECT_EQ(read_json(run / "summary.json")["status"], "finished");
  expect_same_scalars(run);
}

}  // namespace
