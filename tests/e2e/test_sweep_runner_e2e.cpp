// The sweep runner with folders from before, through the binary on configs/debug.yaml and the
// fixture dataset: a branch whose trunk checkpoint is gone (deleted, or a budget added after the
// trunk finished) regrows it; runs whose settings changed since they trained are named, kept as
// trained and retrained on request; the --status a submission suggests; a running run's step in
// --status and the progress line; a dry run calibrated from finished runs and checked by the sweep.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <regex>
#include <thread>

#include "tests/support/dataset_suite.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

class SweepRunnerE2E : public DatasetSuite {
 protected:
  static void SetUpTestSuite() { open_suite("sweep_runner_e2e"); }
  // Budgets 20 and 40 as branches of one trunk (checkpoints at steps 15 and 30).
  static std::string branched(const std::string& name, const std::string& budgets,
                              double cooldown = 0.25) {
    return sweep_file(name,
                      "branching: {cooldown: " + std::to_string(cooldown) +
                          "}\nname: \"s{train.steps}\"\ngrid: {train.steps: " + budgets + "}\n",
                      ", schedule.warmup_steps: 2, checkpoint.keep: 1");
  }
  // One WSD run that trains what a branch trains, in one go.
  // One WSD run by the path a packing sweep trains every run on (`train-packed`, here a pack of
  // one; alone, by `scalelab train`, it would differ by rounding).
  static fs::path straight_wsd(const std::string& name, int steps, double cooldown) {
    const fs::path out = *dir_ / name;
    const nlohmann::json pack = {
        {"runs",
         {{{"config", std::string(SCALELAB_SOURCE_DIR) + "/configs/debug.yaml"},
           {"out", out.string()},
           {"set",
            {"data.path=" + *dataset_, "schedule.kind=wsd", "schedule.warmup_steps=2",
             "schedule.decay_fraction=" + std::to_string(cooldown),
             "train.steps=" + std::to_string(steps)}}}}}};
    const fs::path file = *dir_ / (name + ".pack.json");
    std::ofstream(file) << pack.dump(2);
    std::string log;
    EXPECT_EQ(run_cli("train-packed " + file.string(), &log), 0) << log;
    return out;
  }
};

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

// Issue 26: "--branch-from .../step_00000015.pt: not a checkpoint file", and rerunning never
// fixed it because the trunk counted as done. Now the trunk is trained again up to the branch
// point beside its own folder, and the branch equals the one trained before, loss for loss.
TEST_F(SweepRunnerE2E, ABranchWhoseTrunkCheckpointIsGoneRegrowsItAndTrainsAsBefore) {
  const auto file = branched("gone", "[20, 40]");
  std::string out;
  ASSERT_EQ(run_cli("sweep " + file, &out), 0) << out;
  const fs::path trunk = root("gone") / "s40-trunk", branch = root("gone") / "s20";
  const auto before = losses_of(branch), before_val = losses_of(branch, "val_loss");
  const std::string trunk_summary = slurp(trunk / "summary.json");
  fs::remove(trunk / "checkpoints/step_00000015.pt");
  fs::remove_all(branch);
  ASSERT_EQ(run_cli("sweep " + file, &out), 0) << out;
  EXPECT_NE(out.find("s20: its trunk has no checkpoint at step 15 (" +
                     (trunk / "checkpoints/step_00000015.pt").string() +
                     " is missing); training the trunk again up to that step in " +
                     (trunk / "regrown/step_00000015").string() +
                     ", from step 0 (the trunk has no checkpoint before it)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("regrew the trunk's checkpoint at step 15 for s20"), std::string::npos);
  EXPECT_EQ(losses_of(branch), before);
  EXPECT_EQ(losses_of(branch, "val_loss"), before_val);
  EXPECT_EQ(slurp(trunk / "summary.json"), trunk_summary);  // the trunk's folder as it was
  EXPECT_NE(out.find("1 done, 2 skipped"), std::string::npos) << out;
}

// A budget added after the trunk finished: the trunk is unchanged (same steps, same config) but
// never checkpointed the new branch point. It is regrown from the trunk's newest checkpoint before
// it, and the branch equals one WSD run of its budget.
TEST_F(SweepRunnerE2E, ABudgetAddedAfterTheTrunkFinishedBranchesFromARegrownCheckpoint) {
  std::string out;
  ASSERT_EQ(run_cli("sweep " + branched("added", "[20, 40]"), &out), 0) << out;
  ASSERT_EQ(run_cli("sweep " + branched("added", "[20, 30, 40]"), &out), 0) << out;
  EXPECT_NE(out.find("s30: its trunk has no checkpoint at step 22"), std::string::npos) << out;
  EXPECT_NE(out.find("from the trunk's checkpoint at step 15"), std::string::npos) << out;
  EXPECT_EQ(count_of(out, "[sweep] start"), 1) << out;
  const fs::path straight = straight_wsd("added_straight", 30, 0.25);
  EXPECT_EQ(losses_of(root("added") / "s30"), losses_of(straight));
  EXPECT_EQ(losses_of(root("added") / "s30", "val_loss"), losses_of(straight, "val_loss"));
}

// Issue 26: a branched sweep's cooldown changed after it finished: every run skipped without a
// word, the table showing the trunk's D from the new file. Now each changed run is named with its
// change, the table shows what was trained, and --rerun-changed retrains the branches (their old
// files set aside, the trunk kept: only its budget changed) into the runs the new file describes.
TEST_F(SweepRunnerE2E, AChangedCooldownIsNamedPerRunKeptAsTrainedAndRetrainedOnRequest) {
  std::string out;
  ASSERT_EQ(run_cli("sweep " + branched("cool", "[20, 40]", 0.25), &out), 0) << out;
  const double trunk_tokens = read_json(root("cool") / "s40-trunk/summary.json")["tokens"];
  const std::string old_summary = slurp(root("cool") / "s20/summary.json");
  const auto file = branched("cool", "[20, 40]", 0.5);
  ASSERT_EQ(run_cli("sweep " + file, &out), 0) << out;
  for (auto name : {"s20", "s40"})
    EXPECT_NE(out.find(std::string("[sweep] ") + name +
                       " finished with other settings than the sweep's now "
                       "(schedule.decay_fraction: 0.25 -> 0.5): kept as it trained"),
              std::string::npos)
        << name << "\n"
        << out;
  EXPECT_EQ(count_of(out, "[sweep] start"), 0) << out;
  // The trunk trained 31 steps (8 x 32 tokens each); the new file's trunk would train 21.
  EXPECT_EQ(trunk_tokens, 31 * 8 * 32);
  EXPECT_TRUE(std::regex_search(out, std::regex("s40-trunk +skipped +[0-9]+ +7\\.94e\\+03 ")))
      << out;
  EXPECT_NE(out.find("2 finished run(s) kept with other settings than the sweep's now"),
            std::string::npos)
      << out;
  EXPECT_EQ(slurp(root("cool") / "s20/summary.json"), old_summary);

  ASSERT_EQ(run_cli("sweep " + file + " --rerun-changed", &out), 0) << out;
  EXPECT_NE(out.find("[sweep] s20 changed since it trained (schedule.decay_fraction: 0.25 -> "
                     "0.5): its files moved to " +
                     (root("cool") / "s20/replaced/").string()),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("2 done, 1 skipped"), std::string::npos) << out;
  // Nothing lost: the old run's files, summary included, are in replaced/<time>/.
  int old_sets = 0;
  for (const auto& e : fs::directory_iterator(root("cool") / "s20/replaced")) {
    EXPECT_EQ(slurp(e.path() / "summary.json"), old_summary);
    ++old_sets;
  }
  EXPECT_EQ(old_sets, 1);
  for (int steps : {20, 40}) {
    const fs::path straight = straight_wsd("cool_straight" + std::to_string(steps), steps, 0.5);
    const fs::path run = root("cool") / ("s" + std::to_string(steps));
    EXPECT_EQ(losses_of(run), losses_of(straight)) << run;
    EXPECT_EQ(read_json(run / "summary.json")["config"]["schedule"]["decay_fraction"], 0.5);
  }
  // A third time there is nothing to do, and nothing to say about changes.
  ASSERT_EQ(run_cli("sweep " + file, &out), 0) << out;
  EXPECT_EQ(out.find("other settings"), std::string::npos) << out;
}

// Issue 26: `--submit --out-root X` suggested `scalelab sweep FILE --status` without it, which
// reported another folder. The suggestion carries --out-root and the --set options, and runs.
TEST_F(SweepRunnerE2E, SubmitSuggestsAStatusCommandForTheSameFolder) {
  const auto file = sweep_file("submit", "grid: {train.seed: [1, 2]}\n");
  const fs::path bin = *dir_ / "submit_bin", elsewhere = *dir_ / "submit elsewhere";
  fs::create_directories(bin);
  std::ofstream(bin / "sbatch") << "#!/bin/sh\necho 4242\n";
  fs::permissions(bin / "sbatch", fs::perms::owner_all);
  std::string out;
  ASSERT_EQ(run_cli_with("PATH=" + bin.string() + ":$PATH",
                         "sweep " + file + " --submit --out-root '" + elsewhere.string() +
                             "' --set eval.n_batches=1",
                         &out),
            0)
      << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("follow it with `scalelab (.*)`"))) << out;
  EXPECT_EQ(m[1].str(), "sweep " + file + " --status --out-root '" + elsewhere.string() +
                            "' --set eval.n_batches=1");
  std::string status;
  ASSERT_EQ(run_cli(m[1].str(), &status), 0) << status;
  EXPECT_EQ(status.find("not submitted to Slurm"), std::string::npos) << status;
  EXPECT_NE(status.find("seed1"), std::string::npos) << status;
}

// Issue 27: `--status` showed `running 0/3128` while metrics.jsonl was at step 240. A running run
// is as far as its newest metrics line, with its loss and time left; --status and the runner's
// log have an overall progress line with an ETA.
TEST_F(SweepRunnerE2E, StatusShowsARunningRunsStepLossAndEtaAndTheRunnerItsProgress) {
  const auto file = sweep_file("watch", "grid: {train.seed: [1, 2]}\n",
                               ", train.steps: 100000, log.every: 10, eval.every: 50");
  const fs::path log = *dir_ / "watch.log";
  // --no-pack: one run running and one new (packed, both would run).
  const pid_t runner = start_cli({"sweep", file, "--progress-every", "1", "--no-pack"}, log);
  const fs::path metrics = root("watch") / "seed1/metrics.jsonl";
  int64_t seen = 0;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       seen < 60 && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto steps = losses_of(root("watch") / "seed1");
    seen = int64_t(steps.size()) * 10;
  }
  ASSERT_GE(seen, 60) << slurp(log);
  std::string out;
  ASSERT_EQ(run_cli("sweep " + file + " --status", &out), 0) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      out, m,
      std::regex("seed1 +running +- +- +([0-9]+)/100000 +([0-9.]+) +([0-9.]+) +([0-9hms]+)\n")))
      << out;
  EXPECT_GE(std::stoll(m[1].str()), seen);
  EXPECT_TRUE(std::regex_search(out, std::regex("seed2 +new +- +- +0/100000 +- +- +-"))) << out;
  EXPECT_NE(out.find("progress: 0/2 ended, 1 running, 1 left; ETA "), std::string::npos) << out;
  // The progress line, once a second while the run trains.
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       slurp(log).find("1 running, 1 left; ETA ") == std::string::npos &&
       std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(std::regex_search(
      slurp(log), std::regex("\\[sweep\\] progress: 0/2 ended, 1 running, 1 left; ETA "
                             "[0-9hms]+ \\(1 at a time; from 1 measured rate\\(s\\)\\)")))
      << slurp(log);
  kill(runner, SIGTERM);
  EXPECT_EQ(wait_exit_within(runner, std::chrono::seconds(60)), 128 + SIGTERM) << slurp(log);
}

// Issue 27: the dry run's estimate said nothing of what it assumed and was not calibrated. Runs
// finished on this machine calibrate it (another sweep's with --calibrate-from); it says so; the
// sweep, once it has trained exactly those runs, says what it took against the estimate.
TEST_F(SweepRunnerE2E, TheDryRunIsCalibratedFromFinishedRunsAndTheSweepComparesItsTime) {
  std::string out;
  const auto first = sweep_file("calib_a", "grid: {model.n_embd: [16, 32]}\n");
  ASSERT_EQ(run_cli("sweep " + first + " --jobs 1", &out), 0) << out;
  const auto second = sweep_file("calib_b", "grid: {model.n_embd: [16, 32], train.seed: [5]}\n");
  ASSERT_EQ(run_cli("sweep " + second + " --dry-run --jobs 1 --calibrate-from " +
                        root("calib_a").string(),
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("estimated time for the 2 run(s) to train: "), std::string::npos) << out;
  EXPECT_NE(out.find("assuming 1 run(s) at once x "), std::string::npos) << out;
  EXPECT_NE(out.find("calibrated from 2 run(s) finished on this machine, 1 at once x"),
            std::string::npos)
      << out;
  const auto estimate = read_json(root("calib_b") / "dry_run_estimate.json");
  EXPECT_EQ(estimate["runs"].size(), 2u);
  EXPECT_GT(estimate["estimated_s"].get<double>(), 0);
  ASSERT_EQ(run_cli("sweep " + second + " --jobs 1", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(
      out, std::regex("\\[sweep\\] finished in [0-9ms]+; the dry run of [0-9TZ:-]+ estimated "
                      "[0-9hms]+ for these 2 run\\(s\\); they took [0-9hms]+ \\([0-9.]+x\\)")))
      << out;
  const auto check = read_json(root("calib_b") / "sweep_state.json")["dry_run_check"];
  EXPECT_GT(check["took_s"].get<double>(), 0);
  EXPECT_EQ(check["estimated_s"], estimate["estimated_s"]);
  // Under other parallelism the finished runs are not used, and the dry run says so.
  ASSERT_EQ(run_cli("sweep " + second + " --dry-run --jobs 2 --no-measure --calibrate-from " +
                        root("calib_a").string(),
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("note: " + root("calib_a").string() +
                     ": 2 run(s) trained under other parallelism than 2 at once x "),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("estimated time"), std::string::npos) << out;
  expect_one_clear_line("sweep " + second + " --dry-run --calibrate-from /nonexistent",
                        "--calibrate-from /nonexistent: no sweep_state.json there");
}
