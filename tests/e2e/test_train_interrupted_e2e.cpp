// Interrupted training through the scalelab binary, nothing lost: SIGKILL during a checkpoint
// write keeps the previous checkpoint, SIGTERM checkpoints its step and resumes bit for bit, a
// failed checkpoint write is one line, a damaged newest checkpoint falls back to the previous one,
// checkpoints come by wall time too, and a second trainer on the folder is refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <thread>

#include "runfolder/checkpoints.h"
#include "tests/support/datasets.h"
#include "tests/support/train_runs.h"

using namespace scalelab;
using namespace scalelab::test_util;

TEST_F(TrainE2E, SigkillDuringACheckpointKeepsThePreviousOne) {
  auto run = dir_ / "killed";
  // A model large enough that each checkpoint write takes a while, checkpointed every step; the
  // kill comes at the second write, so 20 steps leave room (200 made the resume write 8 GB).
  std::string args =
      debug("--out " + run.string() +
            " --set model.n_embd=256 --set model.n_head=4 --set model.n_layer=4"
            " --set train.steps=20 --set train.batch_size=2 --set checkpoint.every=1");
  pid_t pid = fork();
  if (pid == 0) {
    std::string cmd =
        std::string(SCALELAB_BINARY_DIR) + "/scalelab train " + args + " >/dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), (char*)nullptr);
    _exit(127);
  }
  bool killed_mid_write = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && !killed_mid_write) {
    std::error_code ec;
    int n_complete = 0;
    bool tmp = false;
    for (auto& e : fs::directory_iterator(run / "checkpoints", ec)) {
      if (e.path().extension() == ".tmp") tmp = true;
      if (e.path().extension() == ".pt") ++n_complete;
    }
    if (tmp && n_complete >= 1) {
      kill(pid, SIGKILL);
      killed_mid_write = true;
    }
  }
  int status = 0;
  if (!killed_mid_write) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  ASSERT_TRUE(killed_mid_write) << "never saw a checkpoint being written";
  ASSERT_TRUE(WIFSIGNALED(status));
  std::string out;
  ASSERT_EQ(run_cli("train " + args + " --set train.steps=" + std::to_string(20) +
                        " --resume --stop-after-step 1000",
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("resuming"), std::string::npos) << out;
  EXPECT_EQ(read_json(run / "summary.json")["steps"], 20);
  // The killed write's temporary file was removed when that checkpoint was written again.
  for (const auto& e : fs::directory_iterator(run / "checkpoints"))
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
}

// SIGTERM at a random step: the run finishes that step, checkpoints it, exits 143, and --resume
// ends with the uninterrupted run's losses bit for bit.
TEST_F(TrainE2E, SigtermCheckpointsTheStepAndResumesBitExact) {
  const auto straight = dir_ / "sigterm_straight", stopped = dir_ / "sigterm_stopped";
  const std::string args = " --set train.steps=60 --set log.every=1 --set eval.every=20";
  std::string out;
  ASSERT_EQ(run_cli("train " + debug("--out " + straight.string() + args), &out), 0) << out;
  std::mt19937 rng(std::random_device{}());
  const size_t stop_at = std::uniform_int_distribution<size_t>(3, 40)(rng);  // lines logged first
  pid_t pid = fork();
  if (pid == 0) {
    std::string cmd = std::string(SCALELAB_BINARY_DIR) + "/scalelab train " +
                      debug("--out " + stopped.string() + args);
    execl("/bin/sh", "sh", "-c", ("exec " + cmd + " >/dev/null 2>&1").c_str(), (char*)nullptr);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline && losses_of(stopped).size() < stop_at)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by the signal instead of stopping cleanly";
  EXPECT_EQ(WEXITSTATUS(status), 143);
  const auto summary = read_json(stopped / "summary.json");
  EXPECT_EQ(summary["status"], "paused");
  EXPECT_EQ(summary["stop_signal"], SIGTERM);
  const int64_t steps = summary["steps"].get<int64_t>();
  EXPECT_GE(steps, int64_t(stop_at));
  EXPECT_LT(steps, 60);
  EXPECT_TRUE(fs::exists(checkpoint_path(stopped.string(), steps)))
      << "no checkpoint at step " << steps;
  ASSERT_EQ(run_cli("train " + debug("--out " + stopped.string() + args + " --resume"), &out), 0)
      << out;
  const auto a = losses_of(straight), b = losses_of(stopped);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "step " << i + 1;
  EXPECT_EQ(losses_of(straight, "val_loss"), losses_of(stopped, "val_loss"));
}

// Two trainers on one --out: the second is refused while the first runs on undisturbed.
TEST_F(TrainE2E, ASecondTrainerOnTheRunFolderIsRefused) {
  std::string out;
  const auto shared = dir_ / "shared_out";
  pid_t pid = fork();
  if (pid == 0) {
    std::string cmd = std::string(SCALELAB_BINARY_DIR) + "/scalelab train " +
                      debug("--set train.steps=400 --out " + shared.string());
    execl("/bin/sh", "sh", "-c", ("exec " + cmd + " >/dev/null 2>&1").c_str(), (char*)nullptr);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline && losses_of(shared).empty())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(run_cli("train " + debug("--force --out " + shared.string()), &out), 1);
  EXPECT_NE(out.find("another `scalelab train` is writing this run folder"), std::string::npos)
      << out;
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the first trainer was disturbed";
  EXPECT_EQ(read_json(shared / "summary.json")["steps"], 400);
}

// A damaged newest checkpoint: --resume warns naming it and continues from the previous one.
TEST_F(TrainE2E, ResumeFallsBackFromADamagedNewestCheckpoint) {
  std::string out;
  const auto damaged = dir_ / "damaged";
  const std::string args = " --set checkpoint.every=5 --out " + damaged.string();
  ASSERT_EQ(run_cli("train " + debug(args + " --stop-after-step 10"), &out), 0) << out;
  std::ofstream(checkpoint_path(damaged.string(), 10), std::ios::trunc) << "not a checkpoint";
  ASSERT_EQ(run_cli("train " + debug(args + " --resume"), &out), 0) << out;
  EXPECT_NE(out.find("step_00000010.pt"), std::string::npos) << out;
  EXPECT_NE(out.find("falling back to the previous checkpoint"), std::string::npos) << out;
  EXPECT_NE(out.find("at step 5"), std::string::npos) << out;
  EXPECT_EQ(read_json(damaged / "summary.json")["status"], "finished");
}

// A checkpoint write that fails (here a file-size limit, EFBIG, standing in for a full disk) is one
// line naming the file and the reason, never an abort, and the previous checkpoint stays usable.
TEST_F(TrainE2E, AFailedCheckpointWriteIsOneLineAndKeepsThePreviousOne) {
  const auto run = dir_ / "full_disk";
  const std::string args = debug("--set checkpoint.every=1 --out " + run.string());
  std::string out;
  ASSERT_EQ(run_cli("train " + args + " --stop-after-step 5", &out), 0) << out;
  const auto kept = checkpoint_path(run.string(), 5);
  const auto limit_kb = std::max<uintmax_t>(8, fs::file_size(kept) / 1024 / 2);
  const int code = shell("sh -c \"ulimit -f " + std::to_string(limit_kb) + "; trap '' XFSZ; exec " +
                             scalelab_binary() + " train " + args + " --resume\"",
                         &out);
  ASSERT_LT(code, 128) << out;  // exited, not killed
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("scalelab: error: "), std::string::npos) << out;
  EXPECT_NE(out.find("cannot write the checkpoint (File too large)"), std::string::npos) << out;
  EXPECT_EQ(out.find("terminate called"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(kept));
  for (const auto& e : fs::directory_iterator(checkpoint_dir(run.string())))  // no temporary left
    EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  ASSERT_EQ(run_cli("train " + args + " --resume", &out), 0) << out;  // resumes from step 5
  EXPECT_NE(out.find("at step 5"), std::string::npos) << out;
  EXPECT_EQ(read_json(run / "summary.json")["status"], "finished");
}

// Checkpoints by wall time (checkpoint.every_seconds, default 10 minutes) as well as by steps, so
// a run killed at a time limit loses little.
TEST_F(TrainE2E, CheckpointsAreAlsoWrittenByWallTime) {
  const auto run = dir_ / "by_time";
  std::string out;
  ASSERT_EQ(
      run_cli(
          "train " + debug("--set checkpoint.every_seconds=1e-9 --set checkpoint.keep=100 --out " +
                           run.string()),
          &out),
      0)
      << out;
  EXPECT_EQ(list_checkpoints(run.string()).size(), 20u);  // one after every step of the 20
  const auto defaults = dir_ / "by_default";
  ASSERT_EQ(run_cli("train " + debug("--set checkpoint.keep=100 --out " + defaults.string()), &out),
            0)
      << out;
  EXPECT_EQ(list_checkpoints(defaults.string()).size(), 1u);  // a short run: only the last
}
