// The sweep runner end to end through the scalelab binary on configs/debug.yaml and the fixture
// dataset: a killed runner restarted, resume, a failing run, two runners at once, parents, bad
// input, the Slurm script and the dry run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "experiments/gpus.h"
#include "tests/support/dataset_suite.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

class SweepE2E : public DatasetSuite {
 protected:
  static void SetUpTestSuite() { open_suite("sweep_e2e"); }
  // A sweep file over configs/debug.yaml on the fixture dataset, checkpointing every 5 steps.
  static std::string sweep_file(const std::string& name, const std::string& body,
                                const std::string& set = "") {
    return DatasetSuite::sweep_file(name, body, ", checkpoint.every: 5" + set);
  }
};

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_F(SweepE2E, KilledRunnerRestartedFinishesWithoutRerunningFinishedRuns) {
  // Four runs of 40 steps, one at a time: long enough to kill the runner in the middle.
  const auto file = sweep_file("killed", "grid: {train.seed: [1, 2, 3, 4]}\n",
                               ", train.steps: 40, log.every: 10");
  // --no-pack: one run a process, so that the runner is killed between runs (a pack's runs end
  // together).
  const pid_t runner =
      start_cli({"sweep", file, "--jobs", "1", "--no-pack"}, *dir_ / "killed_1.log");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(root("killed") / "seed1/summary.json") &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(root("killed") / "seed1/summary.json")) << slurp(*dir_ / "killed_1.log");
  kill(runner, SIGKILL);
  wait_exit(runner);
  std::map<std::string, std::string> finished;
  for (auto name : {"seed1", "seed2", "seed3", "seed4"})
    if (fs::exists(root("killed") / name / "summary.json"))
      finished[name] = slurp(root("killed") / name / "summary.json");
  ASSERT_LT(finished.size(), 4u) << "the runner finished before it could be killed";

  std::string out;
  ASSERT_EQ(run_cli("sweep " + file + " --jobs 1 --no-pack", &out), 0) << out;
  for (auto name : {"seed1", "seed2", "seed3", "seed4"}) {
    const auto summary = root("killed") / name / "summary.json";
    ASSERT_TRUE(fs::exists(summary)) << name << "\n" << out;
    EXPECT_EQ(read_json(summary)["steps"], 40) << name;
    EXPECT_EQ(losses_of(root("killed") / name).size(), 4u)
        << name;  // one line per 10 steps, none twice
  }
  // Finished runs were not trained again: their summaries are byte for byte the same.
  for (const auto& [name, text] : finished) {
    EXPECT_EQ(slurp(root("killed") / name / "summary.json"), text) << name;
    EXPECT_NE(out.find(name), std::string::npos);
  }
  EXPECT_EQ(count_of(out, "[sweep] start"), int(4 - finished.size())) << out;
  EXPECT_EQ(count_of(out, "skipped"), int(finished.size()) + 1)
      << out;  // table rows + the count line
  // A third invocation has nothing to do.
  ASSERT_EQ(run_cli("sweep " + file, &out), 0) << out;
  EXPECT_EQ(count_of(out, "[sweep] start"), 0) << out;
  EXPECT_NE(out.find("4 skipped"), std::string::npos) << out;
}

TEST_F(SweepE2E, ARunWithCheckpointsIsResumed) {
  const auto file = sweep_file("resume", "grid: {train.seed: [1]}\n");
  std::string out;
  // Half a run in the sweep's folder, as a killed runner would leave it.
  ASSERT_EQ(run_cli("train " + std::string(SCALELAB_SOURCE_DIR) +
                        "/configs/debug.yaml --set data.path=" + *dataset_ +
                        " --set checkpoint.every=5 --out " + (root("resume") / "seed1").string() +
                        " --stop-after-step 10",
                    &out),
            0)
      << out;
  ASSERT_EQ(run_cli("sweep " + file, &out), 0) << out;
  EXPECT_NE(out.find("start seed1 (resuming)"), std::string::npos) << out;
  EXPECT_NE(out.find("resumed"), std::string::npos) << out;
  EXPECT_EQ(read_json(root("resume") / "seed1/summary.json")["steps"], 20);
  EXPECT_EQ(losses_of(root("resume") / "seed1").size(), 20u);
}

TEST_F(SweepE2E, AFailingRunDoesNotStopTheOthers) {
  // vocab_size 100 cannot hold the byte dataset's 257 ids: that run fails when it starts.
  const auto file =
      sweep_file("failing", "zip: {train.seed: [1, 2, 3], model.vocab_size: [257, 100, 257]}\n");
  std::string out;
  EXPECT_EQ(run_cli("sweep " + file + " --jobs 2", &out), 1) << out;
  EXPECT_TRUE(fs::exists(root("failing") / "seed1-vocab_size257/summary.json")) << out;
  EXPECT_TRUE(fs::exists(root("failing") / "seed3-vocab_size257/summary.json")) << out;
  const auto failed = root("failing") / "seed2-vocab_size100";
  EXPECT_FALSE(fs::exists(failed / "summary.json"));
  const std::string error = slurp(failed / "error.txt");
  EXPECT_NE(error.find("model.vocab_size"), std::string::npos) << error;
  EXPECT_NE(error.find("exit 1"), std::string::npos) << error;
  EXPECT_NE(out.find("2 done"), std::string::npos) << out;
  EXPECT_NE(out.find("1 failed"), std::string::npos) << out;
  EXPECT_NE(out.find("1 of 3 runs did not finish"), std::string::npos) << out;
  const auto state = read_json(root("failing") / "sweep_state.json");
  ASSERT_EQ(state["runs"].size(), 3u);
  EXPECT_EQ(state["runs"][1]["status"], "failed");
  EXPECT_EQ(state["runs"][0]["status"], "done");
  EXPECT_TRUE(state["runs"][0]["final_val_loss"].is_number());
}

TEST_F(SweepE2E, TwoRunnersNeverTakeTheSameRun) {
  const auto file = sweep_file("two", "grid: {train.seed: [1, 2, 3, 4]}\n");
  const pid_t a = start_cli({"sweep", file}, *dir_ / "two_a.log");
  const pid_t b = start_cli({"sweep", file}, *dir_ / "two_b.log");
  EXPECT_EQ(wait_exit(a), 0) << slurp(*dir_ / "two_a.log");
  EXPECT_EQ(wait_exit(b), 0) << slurp(*dir_ / "two_b.log");
  const std::string both = slurp(*dir_ / "two_a.log") + slurp(*dir_ / "two_b.log");
  // Each run trained exactly once, alone or in a pack ("start seed3, seed4 in one process").
  int started = 0;
  std::istringstream lines(both);
  for (std::string line; std::getline(lines, line);)
    if (line.find("[sweep] start") != std::string::npos) started += count_of(line, "seed");
  EXPECT_EQ(started, 4) << both;
  for (auto name : {"seed1", "seed2", "seed3", "seed4"})
    EXPECT_EQ(losses_of(root("two") / name).size(), 20u) << name;
}

TEST_F(SweepE2E, ChildrenStartFromTheirParentsWeightsWithTags) {
  const auto file = sweep_file(
      "parents",
      "tags: {study: transfer}\n"
      "groups:\n"
      "  - {name: ft, init_from: pre, tags: {role: finetune, finetune_tokens: \"{run.tokens}\"},\n"
      "     set: {train.steps: 5}}\n"
      "  - {name: pre, tags: {role: pretrain}}\n");
  std::string out;
  ASSERT_EQ(run_cli("sweep " + file, &out), 0) << out;
  EXPECT_LT(out.find("start pre"), out.find("start ft")) << out;
  EXPECT_NE(slurp(root("parents") / "ft/log.txt").find("initialised from"), std::string::npos);
  const auto tags = read_json(root("parents") / "ft/summary.json")["tags"];
  EXPECT_EQ(tags["study"], "transfer");
  EXPECT_EQ(tags["role"], "finetune");
  EXPECT_EQ(tags["finetune_tokens"], 5 * 8 * 32);
}

TEST_F(SweepE2E, BadInputFailsBeforeAnyRunStarts) {
  std::string out;
  auto file = sweep_file("bad_key", "grid: {model.n_layers: [1, 2]}\n");
  EXPECT_EQ(run_cli("sweep " + file, &out), 1);
  EXPECT_NE(out.find("scalelab: error:"), std::string::npos) << out;
  EXPECT_NE(out.find("unknown key 'model.n_layers'"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(root("bad_key")));
  file = sweep_file("bad_shape", "derive: {shape_from_params: {params: 10, n_layer: 1}}\n");
  EXPECT_EQ(run_cli("sweep " + file, &out), 1);
  EXPECT_NE(out.find("no shape"), std::string::npos) << out;
  file = sweep_file("bad_empty", "grid: {train.seed: []}\n");
  EXPECT_EQ(run_cli("sweep " + file, &out), 1);
  EXPECT_NE(out.find("empty"), std::string::npos) << out;
  file = sweep_file("bad_data", "grid: {data.path: [/nonexistent/dataset]}\n");
  EXPECT_EQ(run_cli("sweep " + file, &out), 1);
  EXPECT_NE(out.find("dataset(s) not found: /nonexistent/dataset"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(root("bad_data")));
}

// `--gpus 0` on a machine without that GPU is refused before anything starts, rather than
// training on the CPU while the log says "on GPU 0".
// An out root that cannot be made (here in /proc; a read-only file system reads alike) is one line
// naming it, for the sweep and for the tune that runs one.
TEST_F(SweepE2E, AnOutRootThatCannotBeMadeIsOneLineNamingIt) {
  const auto file = sweep_file("no_root", "grid: {train.seed: [1]}\n");
  std::string out;
  EXPECT_EQ(run_cli("sweep " + file + " --out-root /proc/scalelab_no_such/runs", &out), 1) << out;
  EXPECT_EQ(out,
            "scalelab: error: /proc/scalelab_no_such/runs: cannot create the folder (No such "
            "file or directory)\n");
  const fs::path tune = *dir_ / "tune.yaml";
  std::ofstream(tune) << "base: " << SCALELAB_SOURCE_DIR << "/configs/debug.yaml\n"
                      << "set: {data.path: " << *dataset_ << "}\n"
                      << "tune: {lr: [0.01, 0.1, 1]}\n";
  EXPECT_EQ(run_cli("tune " + tune.string() + " --out-root /proc/scalelab_no_such/tune", &out), 1)
      << out;
  EXPECT_EQ(out,
            "scalelab: error: /proc/scalelab_no_such/tune: cannot create the folder (No such "
            "file or directory)\n");
}

TEST_F(SweepE2E, GpusThatDoNotExistAreRefused) {
  const int n = sweep::count_cuda_devices();
  std::string out;
  auto file = sweep_file("no_gpu", "grid: {train.seed: [1]}\n");
  EXPECT_EQ(run_cli("sweep " + file + " --gpus " + std::to_string(n), &out), 1);
  EXPECT_NE(out.find("--gpus " + std::to_string(n) + ": "), std::string::npos) << out;
  EXPECT_NE(out.find(n == 0 ? "no CUDA device" : "does not exist"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(root("no_gpu") / "seed1" / "summary.json"));
}

TEST_F(SweepE2E, SlurmScriptAndDryRun) {
  const auto file = sweep_file("plan", "grid: {model.n_layer: [1, 2], train.seed: [1, 2]}\n");
  const auto script = *dir_ / "plan.sbatch";
  std::string out;
  ASSERT_EQ(run_cli("sweep " + file + " --slurm " + script.string() + " --slurm-opt=--time=0:10:00",
                    &out),
            0)
      << out;
  EXPECT_EQ(std::system(("bash -n " + script.string()).c_str()), 0);
  const std::string text = slurp(script);
  for (auto name : {"n_layer1-seed1", "n_layer1-seed2", "n_layer2-seed1", "n_layer2-seed2"})
    EXPECT_NE(text.find(name), std::string::npos) << name;
  EXPECT_NE(text.find("#SBATCH --array=0-3"), std::string::npos) << text;
  EXPECT_NE(text.find("#SBATCH --time=0:10:00"), std::string::npos) << text;
  EXPECT_EQ(text.find("--gres"), std::string::npos) << "train.device auto asks for no GPU";
  // Outside Slurm the script submits itself through sbatch (a stand-in that records its arguments).
  const fs::path bin = *dir_ / "fake_bin";
  fs::create_directories(bin);
  std::ofstream(bin / "sbatch") << "#!/bin/sh\necho \"$@\" >> "
                                << (*dir_ / "sbatch_calls.txt").string() << "\necho 4242\n";
  fs::permissions(bin / "sbatch", fs::perms::owner_all);
  ASSERT_EQ(
      std::system(
          ("PATH=" + bin.string() + ":$PATH bash " + script.string() + " > /dev/null").c_str()),
      0);
  EXPECT_NE(slurp(*dir_ / "sbatch_calls.txt").find("--parsable --array=0-3 " + script.string()),
            std::string::npos)
      << slurp(*dir_ / "sbatch_calls.txt");
  // As array task 2 it trains exactly that run, through the same runner.
  ASSERT_EQ(std::system(("SLURM_ARRAY_TASK_ID=2 bash " + script.string() + " > " +
                         (*dir_ / "task2.log").string() + " 2>&1")
                            .c_str()),
            0)
      << slurp(*dir_ / "task2.log");
  EXPECT_TRUE(fs::exists(root("plan") / "n_layer2-seed1/summary.json"))
      << slurp(*dir_ / "task2.log");
  EXPECT_FALSE(fs::exists(root("plan") / "n_layer1-seed1/summary.json"));

  ASSERT_EQ(run_cli("sweep " + file + " --dry-run", &out), 0) << out;
  for (auto name : {"n_layer1-seed1", "n_layer2-seed2"})
    EXPECT_NE(out.find(name), std::string::npos) << out;
  EXPECT_NE(out.find("estimated time"), std::string::npos) << out;
  EXPECT_NE(out.find("measured"), std::string::npos) << out;
  ASSERT_EQ(run_cli("sweep " + file + " --dry-run --json --tokens-per-s 1000", &out), 0) << out;
  auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j["runs"].size(), 4u);
  EXPECT_EQ(j["runs"][0]["tokens"], 20 * 8 * 32);
  EXPECT_EQ(j["runs"][0]["state"], "new");
  EXPECT_EQ(j["runs"][2]["state"], "done");  // trained by the array task above
  EXPECT_GT(j["estimated_total_s"].get<double>(), 0);
}

TEST_F(SweepE2E, SubmitWithoutSlurmIsOneLineAndStatusReadsTheFolders) {
  const auto file = sweep_file("no_slurm", "grid: {train.seed: [1, 2]}\n");
  std::string out;
  EXPECT_EQ(run_cli_with("PATH=/nonexistent", "sweep " + file + " --submit", &out), 1);
  EXPECT_EQ(count_of(out, "\n"), 1) << out;
  EXPECT_NE(out.find("scalelab: error: --submit: sbatch is not on PATH"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(root("no_slurm"))) << "nothing written, not even the script";

  ASSERT_EQ(run_cli("sweep " + file + " --only seed1", &out), 0) << out;
  ASSERT_EQ(run_cli("sweep " + file + " --status", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("seed1 +done +- +- +20/20"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("seed2 +new "))) << out;
  EXPECT_NE(out.find("slurm: not submitted to Slurm"), std::string::npos) << out;
}

TEST_F(SweepE2E, ARefusedLevelCancelsTheLevelsSubmittedBeforeIt) {
  // Two dependency levels; the stand-in sbatch takes the first and refuses the second.
  const auto file =
      sweep_file("half", "groups:\n  - {name: pre}\n  - {name: ft, init_from: pre}\n");
  const fs::path bin = *dir_ / "half_bin";
  fs::create_directories(bin);
  std::ofstream(bin / "sbatch")
      << "#!/bin/sh\ncase \"$*\" in *dependency*) echo 'sbatch: error: Batch job submission "
         "failed: Invalid account or account/partition combination specified' >&2; exit 1;; "
         "esac\necho 77\n";
  std::ofstream(bin / "scancel") << "#!/bin/sh\necho \"$@\" >> " << (*dir_ / "scancel.txt").string()
                                 << "\n";
  for (auto name : {"sbatch", "scancel"}) fs::permissions(bin / name, fs::perms::owner_all);
  std::string out;
  EXPECT_EQ(run_cli_with("PATH=" + bin.string() + ":$PATH", "sweep " + file + " --submit", &out),
            1);
  EXPECT_EQ(out,
            "scalelab: error: --submit: sbatch refused the array: Invalid account or "
            "account/partition combination specified; nothing was left queued\n");
  EXPECT_EQ(slurp(*dir_ / "scancel.txt"), "77\n");
  EXPECT_FALSE(fs::exists(root("half") / "slurm_jobs.json"));
}
