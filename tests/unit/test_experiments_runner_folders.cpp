// What the sweep runner reads from run folders, without training: a running run's newest metrics
// lines, the settings a finished run trained with against the sweep's now, setting its files
// aside, the regrowth of a trunk's missing checkpoint, the calibration from finished runs, and
// the --status command a submission suggests.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "configs/config_json.h"
#include "experiments/branching.h"
#include "experiments/process.h"
#include "experiments/calibrate.h"
#include "experiments/run_changes.h"
#include "experiments/run_state.h"
#include "experiments/runner.h"
#include "experiments/slurm_submit.h"
#include "experiments/trunk_regrow.h"
#include "runfolder/checkpoints.h"
#include "tests/support/sweep_files.h"

using namespace scalelab;
using namespace scalelab::sweep;
using scalelab::test_util::SweepTest;
namespace fs = std::filesystem;

namespace {

// A finished run's summary.json holding `config` (and D, N, status).
void write_summary(const fs::path& dir, const Config& config, double tokens,
                   const std::string& status = "finished", const std::string& branching = "") {
  const double flops_per_token = training_flops_per_token(config.model, FlopConvention::chinchilla);
  fs::create_directories(dir);
  nlohmann::json tags = nlohmann::json::object();
  if (!branching.empty()) tags["branching"] = branching;
  std::ofstream(dir / "summary.json")
      << nlohmann::json({{"status", status},
                         {"tokens", tokens},
                         {"steps", 20},
                         {"params", {{"total", 12345}}},
                         {"tokens_per_s", 1000.0},
                         {"flops", {{"chinchilla", flops_per_token * tokens}}},
                         {"tags", tags},
                         {"config", config_to_json(config)}})
             .dump();
}

void touch(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << "x";
}

}  // namespace

TEST_F(SweepTest, LastMetricsReadsTheNewestTrainAndEvalLinesFromTheTail) {
  const fs::path run = dir_ / "running";
  EXPECT_FALSE(last_metrics(run.string()));  // no metrics.jsonl
  fs::create_directories(run);
  std::ofstream out(run / "metrics.jsonl");
  for (int step = 10; step <= 2400; step += 10) {
    out << nlohmann::json({{"kind", "train"},
                           {"step", step},
                           {"tokens", step * 256.0},
                           {"loss", 5.0 - step / 1000.0},
                           {"tokens_per_s", 1000.0 + step},
                           {"elapsed_s", step / 4.0}})
        << "\n";
    if (step % 1000 == 0)
      out << nlohmann::json({{"kind", "eval"}, {"step", step}, {"val_loss", 9.0 - step / 1000.0}})
          << "\n";
  }
  out << R"({"kind": "train", "step": 2410, "tok)";  // cut short by a crash: not a line
  out.close();
  const auto last = last_metrics(run.string());
  ASSERT_TRUE(last);
  EXPECT_EQ(last->step, 2400);
  EXPECT_DOUBLE_EQ(last->tokens, 2400 * 256.0);
  EXPECT_DOUBLE_EQ(last->loss, 5.0 - 2.4);
  EXPECT_DOUBLE_EQ(last->tokens_per_s, 3400);
  EXPECT_DOUBLE_EQ(last->run_tokens_per_s(), 2400 * 256.0 / 600.0);  // tokens over elapsed
  EXPECT_EQ(last->eval_step, 2000);  // more than 64 KiB before the end: still found
  EXPECT_DOUBLE_EQ(last->val_loss, 7.0);
}

TEST_F(SweepTest, ConfigChangesNameWhatDiffersFromWhatTheRunTrainedWith) {
  auto runs = expand_text("set: {train.steps: 20}\n");
  sweep::Run& run = runs[0];
  const fs::path dir = dir_ / "out" / run.name;
  write_summary(dir, run.config, 5120);
  EXPECT_TRUE(config_changes(run, dir.string()).empty());
  // Settings that do not change what a run learns are not changes.
  Config same = run.config;
  same.train.threads = 7;
  same.checkpoint.keep = 9;
  same.log.every = 3;
  write_summary(dir, same, 5120);
  EXPECT_TRUE(config_changes(run, dir.string()).empty());
  Config other = run.config;
  other.optim.lr = 0.01;
  other.schedule.decay_fraction = 0.5;
  write_summary(dir, other, 5120);
  const auto changes = config_changes(run, dir.string());
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0], "optim.lr: 0.01 -> 0.003");
  EXPECT_EQ(changes[1], "schedule.decay_fraction: 0.5 -> 0.2");
  EXPECT_EQ(changes_text(changes, 1), "optim.lr: 0.01 -> 0.003 and 1 more");
  // A key the summary lacks (added to the config since) held its default then.
  auto j = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  j["config"]["optim"].erase("lr");
  j["config"]["schedule"]["decay_fraction"] = 0.2;
  std::ofstream(dir / "summary.json") << j.dump();
  EXPECT_EQ(config_changes(run, dir.string()),
            std::vector<std::string>{"optim.lr: 0.001 -> 0.003"});
  // No summary: the config.yaml an interrupted run started with.
  fs::remove(dir / "summary.json");
  std::ofstream(dir / "config.yaml") << to_yaml(other);
  EXPECT_EQ(config_changes(run, dir.string()).size(), 2u);
}

TEST_F(SweepTest, ATrunksBudgetAndCooldownAreNotChanges) {
  auto runs = expand_text(
      "branching: {cooldown: 0.25}\nset: {schedule.warmup_steps: 2}\nname: \"s{train.steps}\"\n"
      "grid: {train.steps: [20, 40]}\n");
  ASSERT_TRUE(runs[0].trunk());
  const fs::path dir = dir_ / "out" / runs[0].name;
  Config trained = runs[0].config;
  trained.train.steps = 51;
  trained.schedule.decay_fraction = 0.4;
  write_summary(dir, trained, 1e4, "finished", "trunk");
  EXPECT_TRUE(config_changes(runs[0], dir.string()).empty());
  trained.optim.lr = 0.1;  // this would give the branches other weights
  write_summary(dir, trained, 1e4, "finished", "trunk");
  EXPECT_EQ(config_changes(runs[0], dir.string()).size(), 1u);
}

TEST_F(SweepTest, SetAsideMovesEveryFileButTheLocksSummaryLast) {
  const fs::path run = dir_ / "r";
  touch(run / "checkpoints/step_00000020.pt");
  touch(run / "metrics.jsonl");
  touch(run / "summary.json");
  touch(run / ".lock");
  touch(run / "replaced/20260101T000000Z/summary.json");
  const fs::path to = set_aside(run.string());
  EXPECT_EQ(to.parent_path(), run / "replaced");
  EXPECT_TRUE(fs::exists(to / "checkpoints/step_00000020.pt"));
  EXPECT_TRUE(fs::exists(to / "metrics.jsonl"));
  EXPECT_TRUE(fs::exists(to / "summary.json"));
  EXPECT_TRUE(fs::exists(run / ".lock"));
  EXPECT_TRUE(fs::exists(run / "replaced/20260101T000000Z/summary.json"));  // the earlier set
  EXPECT_FALSE(fs::exists(run / "summary.json"));
  EXPECT_EQ(inspect_run_folder(run.string()).state, FolderState::empty);
  EXPECT_FALSE(read_trained(run.string()));
  EXPECT_DOUBLE_EQ(read_trained(to.string())->tokens, 0);  // touched: not JSON, nothing read
}

TEST_F(SweepTest, AMissingTrunkCheckpointIsRegrownFromTheNewestOneBeforeIt) {
  auto runs = expand_text(
      "branching: {cooldown: 0.25}\nset: {schedule.warmup_steps: 2}\nname: \"s{train.steps}\"\n"
      "grid: {train.steps: [20, 40, 80]}\n");
  const sweep::Run &trunk = runs[0], &s40 = runs[2];
  ASSERT_EQ(s40.name, "s40");
  ASSERT_EQ(s40.branch_step, 30);
  const std::string root = (dir_ / "out").string(), trunk_dir = root + "/" + trunk.name;
  EXPECT_EQ(regrow_dir(root, s40), trunk_dir + "/regrown/step_00000030");
  EXPECT_FALSE(branch_checkpoint(root, s40));
  // No trunk checkpoint before step 30: from step 0.
  touch(checkpoint_path(trunk_dir, 60));
  RegrowPlan plan = regrow_plan(root, trunk, s40);
  EXPECT_NE(plan.how.find("from step 0"), std::string::npos) << plan.how;
  EXPECT_EQ(shell_join(plan.args),
            "train " + trunk_dir + "/regrown/step_00000030/sweep_config.yaml --out " + trunk_dir +
                "/regrown/step_00000030 --stop-after-step 30 --checkpoint-at 30 --tag "
                "branching=trunk");
  // The newest before it.
  touch(checkpoint_path(trunk_dir, 10));
  touch(checkpoint_path(trunk_dir, 15));
  plan = regrow_plan(root, trunk, s40);
  EXPECT_NE(shell_join(plan.args).find("--branch-from " + checkpoint_path(trunk_dir, 15)),
            std::string::npos);
  EXPECT_EQ(plan.how, "from the trunk's checkpoint at step 15");
  // An interrupted regrowth resumes; a finished one is where the branch starts.
  touch(checkpoint_path(regrow_dir(root, s40), 20));
  EXPECT_NE(shell_join(regrow_plan(root, trunk, s40).args).find("--resume"), std::string::npos);
  touch(checkpoint_path(regrow_dir(root, s40), 30));
  EXPECT_EQ(branch_checkpoint(root, s40), checkpoint_path(regrow_dir(root, s40), 30));
  touch(checkpoint_path(trunk_dir, 30));  // the trunk's own comes first
  EXPECT_EQ(branch_checkpoint(root, s40), checkpoint_path(trunk_dir, 30));
  EXPECT_NE(shell_join(train_arguments(s40, root, false, *branch_checkpoint(root, s40)))
                .find("--branch-from " + checkpoint_path(trunk_dir, 30)),
            std::string::npos);
}

// Runs a runner trained here, start to end, at this parallelism calibrate the dry run; others are
// named and left out.
TEST_F(SweepTest, CalibrationUsesRunsTrainedHereUnderTheSameParallelism) {
  auto runs = expand_text("zip: {model.n_embd: [16, 32], model.n_head: [2, 4]}\n");
  const fs::path root = dir_ / "calib";
  fs::create_directories(root);
  auto entry = [&](const sweep::Run& r, double process_s, const std::string& host, int jobs) {
    write_summary(root / r.name, r.config, 1e4);
    return nlohmann::json(
        {{"name", r.name},
         {"status", "done"},
         {"trained_with",
          {{"process_s", process_s}, {"host", host}, {"jobs", jobs}, {"threads_per_job", 1}}}});
  };
  std::ofstream(root / "sweep_state.json")
      << nlohmann::json(
             {{"runs", {entry(runs[0], 10, host_name(), 2), entry(runs[1], 40, host_name(), 2)}}})
             .dump();
  Calibration c = calibrate_from_finished({root.string()}, 2, 1);
  ASSERT_TRUE(c.throughput);
  EXPECT_TRUE(c.notes.empty());
  // Two sizes, two points: the line passes through both (1e4 tokens in 10 s and in 40 s).
  EXPECT_NEAR(c.throughput->small_tokens_per_s, 1000, 1e-6);
  EXPECT_NEAR(c.throughput->large_tokens_per_s, 250, 1e-6);
  EXPECT_TRUE(c.throughput->includes_evals);
  EXPECT_NE(c.throughput->source.find("calibrated from 2 run(s) finished on this machine"),
            std::string::npos);
  c = calibrate_from_finished({root.string()}, 1, 1);  // another parallelism
  EXPECT_FALSE(c.throughput);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_NE(c.notes[0].find("2 run(s) trained under other parallelism"), std::string::npos);
  std::ofstream(root / "sweep_state.json")
      << nlohmann::json({{"runs", {entry(runs[0], 10, "elsewhere", 2)}}}).dump();
  c = calibrate_from_finished({root.string()}, 2, 1);
  EXPECT_FALSE(c.throughput);
  EXPECT_NE(c.notes.at(0).find("trained on another machine"), std::string::npos);
}

TEST(SweepSubmit, TheStatusCommandItSuggestsReadsTheSameFolderAndRuns) {
  EXPECT_EQ(status_command("experiments/chinchilla/quick.yaml", "", {}),
            "scalelab sweep experiments/chinchilla/quick.yaml --status");
  EXPECT_EQ(status_command("s.yaml", "runs/my study", {"train.batch_size=4", "eval.n_batches=1"}),
            "scalelab sweep s.yaml --status --out-root 'runs/my study' --set train.batch_size=4 "
            "--set eval.n_batches=1");
}
