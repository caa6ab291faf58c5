// A stop signal to a command that runs training processes (`scalelab sweep`, `scalelab tune`),
// through the binary: SIGINT (followed here by a SIGTERM, as an impatient user sends), SIGTERM
// and SIGUSR1 each pause every running run at a checkpoint within seconds, the command exits
// 128 + the first signal (130, 143, 138) with nothing left running, and the same command again
// resumes each paused run bit for bit: its losses equal those of the run trained without a stop.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "experiments/run_state.h"
#include "runfolder/checkpoints.h"
#include "tests/support/datasets.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

using Clock = std::chrono::steady_clock;

// Each run's metrics.jsonl size (0 when it has none).
std::map<std::string, uintmax_t> metrics_sizes(const fs::path& root) {
  std::map<std::string, uintmax_t> sizes;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const uintmax_t n = fs::file_size(e.path() / "metrics.jsonl", ec);
    sizes[e.path().filename().string()] = ec ? 0 : n;
  }
  return sizes;
}

// Runs training right now: without a summary, and with metrics logged since `before` (a resumed
// run has a summary-less folder with old metrics while it starts, before its stop handler is in
// place; a new metrics line means it is in its training loop).
int n_training(const fs::path& root, const std::map<std::string, uintmax_t>& before) {
  int n = 0;
  for (const auto& [name, size] : metrics_sizes(root)) {
    const auto was = before.find(name);
    n +=
        !fs::exists(root / name / "summary.json") && size > (was == before.end() ? 0 : was->second);
  }
  return n;
}

class StopSignalE2E : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = temp_dir("stop_" + GetParam());
    dataset_ = shared_dataset();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs of configs/debug.yaml logging every step: the sweep's 2 runs of 300 steps (a few seconds
  // each: on a loaded machine both must still be training when the third stop's rerun starts
  // them), the tune's 6 of 120 (about a second each; 2 at a time, so the same holds). The tune's
  // lr optima are interior, so its law fits once the grid is trained: measured here, validation
  // losses at lr 0.01, 0.1, 1 are 2.54, 1.74, 2.29 (d24) and 1.95, 1.53, 2.28 (d32).
  std::string write_file() const {
    const fs::path path = dir_ / "grid.yaml";
    std::ofstream out(path);
    out << "base: " << SCALELAB_SOURCE_DIR << "/configs/debug.yaml\n"
        << "out_root: " << root().string() << "\n"
        << "set: {data.path: " << dataset_ << ", train.steps: " << steps() << ", log.every: 1}\n";
    if (GetParam() == "tune")
      out << "name: \"d{model.n_embd}\"\n"
          << "zip: {model.n_embd: [24, 32], model.n_head: [3, 4]}\n"
          << "tune: {lr: [0.01, 0.1, 1], warmup_tokens_per_param: 0.25}\n";
    else
      out << "grid: {train.seed: [1, 2]}\n";
    return path.string();
  }
  fs::path root() const { return dir_ / "runs"; }
  size_t steps() const { return GetParam() == "tune" ? 120 : 300; }

  // Starts the command, waits until two of its runs are training, sends `signal` (SIGINT is
  // followed by a SIGTERM: the first signal is the one obeyed), and checks that the command ends
  // within seconds with 128 + signal, every run untouched, finished or paused at a checkpoint by
  // that signal, none still locked. Adds the paused runs' names to `paused`.
  void stop_midway(const std::string& file, int signal, std::set<std::string>* paused) {
    const fs::path log_path = dir_ / ("stopped_" + std::to_string(signal) + ".log");
    const auto before = metrics_sizes(root());
    // --no-pack here and below: two runs training means two processes, and each run is compared
    // bit for bit with the same run trained alone (a stopped pack that resumes: test_packed_e2e).
    const pid_t pid = start_cli({GetParam(), file, "--jobs", "2", "--no-pack"}, log_path);
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (n_training(root(), before) < 2 && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_EQ(n_training(root(), before), 2) << slurp(log_path);

    const auto sent = Clock::now();
    kill(pid, signal);
    if (signal == SIGINT) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      kill(pid, SIGTERM);
    }
    const int code = wait_exit_within(pid, std::chrono::seconds(30));
    const double took = std::chrono::duration<double>(Clock::now() - sent).count();
    const std::string log = slurp(log_path);
    EXPECT_EQ(code, 128 + signal) << log;
    EXPECT_LT(took, 10) << log;
    int n_paused = 0;
    for (const auto& e : fs::directory_iterator(root())) {
      if (!e.is_directory()) continue;
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(sweep::RunLock(e.path().string()).held()) << name << " is still locked";
      if (!fs::exists(e.path() / "metrics.jsonl")) continue;
      ASSERT_TRUE(fs::exists(e.path() / "summary.json")) << name << "\n" << log;
      const auto summary = read_json(e.path() / "summary.json");
      if (summary["status"] == "finished") continue;
      EXPECT_EQ(summary["status"], "paused") << name;
      EXPECT_EQ(summary["stop_signal"], signal) << name;
      EXPECT_FALSE(list_checkpoints(e.path().string()).empty()) << name;
      paused->insert(name);
      ++n_paused;
    }
    EXPECT_GE(n_paused, 1) << log;
  }

  fs::path dir_;
  std::string dataset_;
};

// Three stops in a row (a run may be paused twice), then the command once more to the end; every
// run then equals the same run of the grid trained without a stop.
TEST_P(StopSignalE2E, EachSignalPausesEveryRunWithinSecondsAndTheRerunResumesBitForBit) {
  const std::string file = write_file();
  std::set<std::string> paused;
  for (int signal : {SIGINT, SIGTERM, SIGUSR1}) {
    SCOPED_TRACE(GetParam() + " stopped by signal " + std::to_string(signal));
    stop_midway(file, signal, &paused);
    if (HasFatalFailure()) return;
  }
  // A run paused by an earlier stop may have been resumed and finished by a later stop's command:
  // the ones still paused now are those the last command must resume.
  std::set<std::string> still_paused;
  for (const auto& name : paused)
    if (read_json(root() / name / "summary.json")["status"] == "paused") still_paused.insert(name);
  EXPECT_FALSE(still_paused.empty());
  std::string out;
  ASSERT_EQ(run_cli(GetParam() + " " + file + " --jobs 2 --no-pack", &out), 0) << out;
  for (const auto& name : still_paused)
    EXPECT_NE(out.find("start " + name + " (resuming)"), std::string::npos) << name << "\n" << out;
  if (GetParam() == "tune") EXPECT_TRUE(fs::exists(root() / "hparams.json")) << out;

  // The paused runs again without a stop (the tune's grid is the sweep file it wrote).
  const std::string grid = GetParam() == "tune" ? (root() / "tune_sweep.yaml").string() : file;
  const fs::path straight = dir_ / "straight";
  std::string only;
  for (const auto& name : paused) only += " --only " + name;
  ASSERT_EQ(
      run_cli("sweep " + grid + " --jobs 2 --no-pack --out-root " + straight.string() + only, &out),
      0)
      << out;
  for (const auto& name : paused) {
    const auto a = losses_of(straight / name), b = losses_of(root() / name);
    ASSERT_EQ(a.size(), steps()) << name;
    EXPECT_EQ(a, b) << name << ": the resumed run left the uninterrupted trajectory";
    EXPECT_EQ(losses_of(straight / name, "val_loss"), losses_of(root() / name, "val_loss")) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(SweepAndTune, StopSignalE2E, ::testing::Values("sweep", "tune"),
                         [](const auto& info) { return info.param; });

}  // namespace
