// The Slurm path for real, on the one-node cluster of scripts/slurm_local.sh: a submitted sweep
// equals the local one, a cancelled task finishes from its checkpoint after resubmission, a
// requeued (preempted) task resumes on the uninterrupted trajectory, the time-limit warning pauses
// a task that requeues itself and resumes, `srun --ntasks 2` follows one process, and a bad
// partition submits nothing. Skipped, with the script's reason, only where the
// cluster cannot start (no root, no apt, no slurmd).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <thread>

#include "runfolder/checkpoints.h"
#include "tests/support/dataset_suite.h"

using namespace scalelab;
using namespace scalelab::test_util;
using Clock = std::chrono::steady_clock;

namespace {

std::string last_line(const std::string& text) {
  const size_t end = text.find_last_not_of("\n");
  if (end == std::string::npos) return "";
  const size_t begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

// The cluster for the whole test program: up already (ctest's SlurmCluster.Start fixture, or a
// user's), or started here and then stopped here at the end, also when tests failed.
class LocalCluster : public ::testing::Environment {
 public:
  void SetUp() override {
    const std::string script = std::string(SCALELAB_SOURCE_DIR) + "/scripts/slurm_local.sh";
    std::string out;
    shell("bash " + script + " env", &out);
    const std::string conf = last_line(out).substr(std::string("export SLURM_CONF=").size());
    setenv("SLURM_CONF", conf.c_str(), 1);
    if (shell("bash " + script + " status") == 0) return;
    if (shell("bash " + script + " start", &out) != 0) {
      skip_reason = "no local Slurm cluster: " + last_line(out);
      std::printf("[cluster] %s\n", skip_reason.c_str());
      return;
    }
    started_ = true;
  }
  void TearDown() override {
    if (started_)
      shell("bash " + std::string(SCALELAB_SOURCE_DIR) + "/scripts/slurm_local.sh stop");
  }
  static std::string skip_reason;

 private:
  bool started_ = false;
};
std::string LocalCluster::skip_reason;
const auto* const g_cluster = ::testing::AddGlobalTestEnvironment(new LocalCluster);

class SlurmCluster : public DatasetSuite {
 protected:
  static void SetUpTestSuite() { open_suite("slurm_cluster"); }
  void SetUp() override {
    if (!LocalCluster::skip_reason.empty()) GTEST_SKIP() << LocalCluster::skip_reason;
  }
  // `--submit`; returns the job id it printed.
  static std::string submit(const std::string& file, const std::string& extra = "") {
    std::string out;
    EXPECT_EQ(run_cli("sweep " + file + " --submit --threads-per-job 1 " + extra, &out), 0) << out;
    std::smatch m;
    if (!std::regex_search(out, m, std::regex("submitted job ([0-9]+)"))) {
      ADD_FAILURE() << "no job id in: " << out;
      return "";
    }
    return m[1];
  }
  // Waits until `done` holds (true) or `limit` passes (false).
  template <class F>
  static bool wait_until(F done, double limit_s) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(limit_s);
    while (!done()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return true;
  }
  static std::string squeue_state(const std::string& task) {
    std::string out;
    shell("squeue --noheader --array --states=all --jobs=" + task + " --format=%T", &out);
    return last_line(out);
  }
  // Slurm holds a requeued task for the credential lifetime (10 s on the local cluster, 120 s by
  // default; a real queue would simply wait). Released at once it would be refused by slurmd:
  // the new credential, made in the second the old one was revoked, counts as revoked too. So
  // the release waits a few seconds after the task is back in the queue.
  static void release_requeued(const std::string& task, const std::string& more = "") {
    ASSERT_TRUE(wait_until([&] { return squeue_state(task) == "PENDING"; }, 60))
        << squeue_state(task);
    std::this_thread::sleep_for(std::chrono::seconds(3));
    std::string out;
    ASSERT_EQ(shell("scontrol update jobid=" + task + " StartTime=now " + more, &out), 0) << out;
  }
  static bool job_gone(const std::string& job) {
    std::string out;
    shell("squeue --noheader --array --jobs=" + job + " --format=%i", &out);
    return out.find(job) == std::string::npos;
  }
};

size_t n_lines(const fs::path& p) {
  std::ifstream in(p);
  return static_cast<size_t>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
}

// Long enough (about 10 s at one thread) to stop a run in the middle of its training.
const char* kLongRun =
    ", train.steps: 3000, log.every: 50, eval.every: 1000, checkpoint.every: 1000";

}  // namespace

TEST_F(SlurmCluster, FourRunSweepEqualsTheLocalSweep) {
  const auto file = sweep_file("four", "grid: {train.seed: [1, 2, 3, 4]}\n");
  const std::string job = submit(file);
  ASSERT_FALSE(job.empty());
  ASSERT_TRUE(wait_until([&] { return job_gone(job); }, 180)) << "job " << job << " still queued";

  std::string out;
  // Packed locally (the default) and one run a task on Slurm, each run trains by the packed path
  // (a pack of one on Slurm), which gives a run the same numbers in a pack of any size.
  ASSERT_EQ(run_cli("sweep " + file + " --out-root " + (*dir_ / "four_local").string() +
                        " --jobs 2 --threads-per-job 1",
                    &out),
            0)
      << out;
  for (const char* run : {"seed1", "seed2", "seed3", "seed4"}) {
    const fs::path cluster = *dir_ / "four" / run, local = *dir_ / "four_local" / run;
    ASSERT_TRUE(fs::exists(cluster / "summary.json")) << run << "\n"
                                                      << slurp(*dir_ / "four" / "slurm.sbatch");
    EXPECT_EQ(read_json(cluster / "summary.json")["final_val_loss"].get<double>(),
              read_json(local / "summary.json")["final_val_loss"].get<double>())
        << run;
    EXPECT_EQ(losses_of(cluster), losses_of(local)) << run;
  }
  // --status: every run done, and Slurm's own word on each task.
  ASSERT_EQ(run_cli("sweep " + file + " --status --json", &out), 0) << out;
  const auto status = nlohmann::json::parse(out);
  ASSERT_EQ(status["runs"].size(), 4u);
  for (const auto& r : status["runs"]) {
    EXPECT_EQ(r["folder"], "done") << out;
    EXPECT_EQ(r["slurm_state"], "completed") << out;
    EXPECT_EQ(r["slurm_job"].get<std::string>().rfind(job + "_", 0), 0u) << out;
  }
  // Resubmitting a finished sweep submits nothing.
  ASSERT_EQ(run_cli("sweep " + file + " --submit", &out), 0) << out;
  EXPECT_NE(out.find("nothing to submit: every run has finished or is in the queue"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("submitted job"), std::string::npos) << out;
}

TEST_F(SlurmCluster, CancelledTaskFinishesFromItsCheckpointWhenResubmitted) {
  const auto file = sweep_file("cancel", "grid: {train.seed: [1, 2]}\n", kLongRun);
  const std::string job = submit(file);
  ASSERT_FALSE(job.empty());
  std::string out;
  // Submitted twice while queued or running: the second submission leaves both runs out.
  ASSERT_EQ(run_cli("sweep " + file + " --submit", &out), 0) << out;
  EXPECT_NE(out.find("left out 2 run(s) whose task is still pending or running"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("submitted job"), std::string::npos) << out;
  const fs::path run = *dir_ / "cancel" / "seed2";
  ASSERT_TRUE(wait_until([&] { return n_lines(run / "metrics.jsonl") >= 5; }, 120))
      << slurp(*dir_ / "cancel" / ("slurm-" + job + "_1.out"));
  ASSERT_EQ(shell("scancel " + job + "_1"), 0);
  ASSERT_TRUE(wait_until([&] { return job_gone(job); }, 180));

  // The signal made a checkpoint mid-run; the other task finished undisturbed.
  const auto paused = read_json(run / "summary.json");
  ASSERT_EQ(paused["status"], "paused") << paused.dump();
  EXPECT_EQ(paused["stop_signal"], SIGTERM);
  const int64_t stopped_at = paused["steps"];
  EXPECT_GT(stopped_at, 0);
  EXPECT_LT(stopped_at, 3000);
  EXPECT_TRUE(fs::exists(checkpoint_path(run.string(), stopped_at)));
  EXPECT_EQ(read_json(*dir_ / "cancel" / "seed1" / "summary.json")["status"], "finished");

  ASSERT_EQ(run_cli("sweep " + file + " --status", &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("seed2 +resumable"))) << out;

  // Resubmission: only the unfinished run, which resumes from the signal's checkpoint.
  ASSERT_EQ(run_cli("sweep " + file + " --submit --threads-per-job 1", &out), 0) << out;
  EXPECT_NE(out.find("array 1 (1 runs)"), std::string::npos) << out;
  EXPECT_NE(out.find("skipped 1 finished run(s)"), std::string::npos) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("submitted job ([0-9]+)"))) << out;
  const std::string again = m[1];
  ASSERT_TRUE(wait_until([&] { return job_gone(again); }, 180));
  const auto summary = read_json(run / "summary.json");
  EXPECT_EQ(summary["status"], "finished");
  EXPECT_EQ(summary["steps"], 3000);
  EXPECT_NE(slurp(run / "train_output.txt").find("at step " + std::to_string(stopped_at)),
            std::string::npos)
      << slurp(run / "train_output.txt");
  // Every logged step once: as many lines as the run that was never stopped.
  EXPECT_EQ(losses_of(run).size(), losses_of(*dir_ / "cancel" / "seed1").size());
}

TEST_F(SlurmCluster, RequeuedTaskResumesOnTheUninterruptedTrajectory) {
  const auto file = sweep_file("requeue", "grid: {train.seed: [5]}\n", kLongRun);
  std::string out;
  const fs::path reference = *dir_ / "requeue_local" / "seed5";
  ASSERT_EQ(run_cli("sweep " + file + " --out-root " + reference.parent_path().string() +
                        " --threads-per-job 1",
                    &out),
            0)
      << out;
  const std::string job = submit(file);
  ASSERT_FALSE(job.empty());
  const std::string task = job + "_0";
  const fs::path run = *dir_ / "requeue" / "seed5";
  ASSERT_TRUE(wait_until([&] { return n_lines(run / "metrics.jsonl") >= 5; }, 120));

  // Preemption as Slurm does it: the running task is stopped (SIGTERM) and put back in the queue.
  ASSERT_EQ(shell("scontrol requeue " + task, &out), 0) << out;
  ASSERT_NO_FATAL_FAILURE(release_requeued(task));
  const auto paused = read_json(run / "summary.json");
  EXPECT_EQ(paused["status"], "paused") << paused.dump();
  const int64_t stopped_at = paused["steps"];
  EXPECT_LT(stopped_at, 3000);
  ASSERT_TRUE(wait_until([&] { return job_gone(job); }, 180)) << squeue_state(task);

  EXPECT_EQ(read_json(run / "summary.json")["status"], "finished");
  const std::string log = slurp(*dir_ / "requeue" / ("slurm-" + task + ".out"));
  EXPECT_NE(log.find("DUE TO JOB REQUEUE"), std::string::npos) << log;
  EXPECT_NE(slurp(run / "train_output.txt").find("at step " + std::to_string(stopped_at)),
            std::string::npos);
  for (const char* key : {"loss", "grad_norm", "val_loss"}) {
    const auto expected = losses_of(reference, key), got = losses_of(run, key);
    ASSERT_EQ(got.size(), expected.size()) << key;
    EXPECT_EQ(got, expected) << key;  // bit for bit: resume is exact on the CPU
  }
}

TEST_F(SlurmCluster, TimeLimitWarningPausesTheTaskWhichRequeuesItselfAndResumes) {
  // A 1-minute limit with the warning 55 s before it: SIGUSR1 comes a few seconds in (Slurm checks
  // its timers about every 15 s). The run is far longer than the test waits for it.
  const auto file = sweep_file("warning", "grid: {train.seed: [7]}\n",
                               ", train.steps: 100000, log.every: 50, eval.every: 100000, "
                               "checkpoint.every: 100000");
  const std::string job = submit(file, "--slurm-opt=--time=1 --slurm-warning 55");
  ASSERT_FALSE(job.empty());
  const std::string task = job + "_0";
  const fs::path run = *dir_ / "warning" / "seed7",
                 log = *dir_ / "warning" / ("slurm-" + task + ".out");
  ASSERT_TRUE(wait_until([&] { return slurp(log).find("requeueing it") != std::string::npos; }, 90))
      << slurp(log);
  // Started again with a longer limit (no second warning), it resumes at the signal's step.
  ASSERT_NO_FATAL_FAILURE(release_requeued(task, "TimeLimit=10"));
  const auto paused = read_json(run / "summary.json");
  ASSERT_EQ(paused["status"], "paused") << paused.dump();
  EXPECT_EQ(paused["stop_signal"], SIGUSR1);
  const int64_t stopped_at = paused["steps"];
  EXPECT_TRUE(fs::exists(checkpoint_path(run.string(), stopped_at)));
  const std::string resumed = "at step " + std::to_string(stopped_at);
  const bool resumes = wait_until(
      [&] { return slurp(run / "train_output.txt").find(resumed) != std::string::npos; }, 90);
  shell("scancel " + job);
  ASSERT_TRUE(wait_until([&] { return job_gone(job); }, 60));
  EXPECT_TRUE(resumes) << slurp(run / "train_output.txt") << slurp(log);
}

TEST_F(SlurmCluster, SrunOfTwoTasksFollowsOneProcess) {
  const std::string train = std::string(SCALELAB_BINARY_DIR) + "/scalelab train " +
                            SCALELAB_SOURCE_DIR +
                            "/configs/debug.yaml --set data.path=" + *dataset_ + " --out ";
  std::string out;
  ASSERT_EQ(shell(train + (*dir_ / "srun_single").string(), &out), 0) << out;
  // A free port for rank 0's store (the kernel's pick).
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  const int port = ntohs(a.sin_port);
  close(s);
  ASSERT_EQ(shell("MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) +
                      " timeout 180 srun --ntasks 2 --cpus-per-task 1 " + train +
                      (*dir_ / "srun2").string(),
                  &out),
            0)
      << out;
  EXPECT_NE(out.find("[dist] rank 0 of 2 joined the gloo group"), std::string::npos) << out;
  EXPECT_EQ(read_json(*dir_ / "srun2" / "summary.json")["world_size"], 2);
  for (const char* key : {"loss", "grad_norm", "val_loss"}) {
    const auto expected = losses_of(*dir_ / "srun_single", key),
               got = losses_of(*dir_ / "srun2", key);
    ASSERT_EQ(got.size(), expected.size()) << key;
    ASSERT_GE(got.size(), key == std::string("val_loss") ? 2u : 20u) << key;
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_LT(std::abs(got[i] - expected[i]), 1e-4 * std::abs(expected[i])) << key << " #" << i;
  }
}

TEST_F(SlurmCluster, ABadPartitionIsOneLineAndSubmitsNothing) {
  const auto file = sweep_file("bad_partition", "grid: {train.seed: [1, 2]}\n");
  std::string out, jobs;
  EXPECT_EQ(run_cli("sweep " + file + " --submit --slurm-opt=--partition=nosuchpart", &out), 1);
  EXPECT_EQ(out,
            "scalelab: error: --slurm-opt: partition 'nosuchpart' does not exist on this cluster "
            "(partitions: debug); nothing was submitted\n");
  // No job of this sweep, queued or ended (the job name ends in the sweep file's stem).
  ASSERT_EQ(shell("squeue --noheader --states=all --format=%j", &jobs), 0) << jobs;
  EXPECT_EQ(jobs.find("bad_partition"), std::string::npos) << jobs;
  EXPECT_FALSE(fs::exists(*dir_ / "bad_partition")) << "nothing written, not even the script";
}

// `scalelab study --submit`, wave by wave (issue 25 item 3): the first call submits wave 0 (trunks,
// then their branches); a call while it runs submits nothing new; once it has finished, the next
// call decides wave 1 from its results and submits the size bracketing added; the last one fits
// and reports. The study is tests/e2e/test_study_e2e.cpp's: its 1e9 budget gets one size below.
TEST_F(SlurmCluster, AStudySubmitsWaveByWaveAndFitsAtTheEnd) {
  const fs::path root = *dir_ / "study", file = *dir_ / "study.yaml";
  std::ofstream(file)
      << "base: " << SCALELAB_SOURCE_DIR << "/configs/debug.yaml\n"
      << "out_root: " << root.string() << "\n"
      << "seeds: 2\nbranching: {cooldown: 0.25}\nname: \"c{sweep.flops}-d{model.n_embd}\"\n"
      << "set: {data.path: " << *dataset_ << ", model.n_layer: 1, log.every: 10, eval.every: 0}\n"
      << "derive:\n  tokens_from_flops: {flops: sweep.flops, convention: chinchilla}\n"
      << "  warmup_from_params: {tokens_per_param: 0.25}\n"
      << "tags: {budget: \"{sweep.flops}\"}\n"
      << "groups:\n  - set: {sweep.flops: 1e9}\n    zip: {model.n_embd: [8, 16, 24]}\n"
      << "  - set: {sweep.flops: 1.2e10}\n    zip: {model.n_embd: [8, 16, 24]}\n"
      << "study:\n  claim: a tiny study on Slurm\n  laws: [chinchilla]\n"
      << "  headline: {law: chinchilla, why: the test's}\n  bootstrap: {resamples: 10}\n"
      << "  bracketing:\n    each_side: 1\n    max_added: 1\n    ladder:\n"
      << "      shapes: [{n_embd: 4}, {n_embd: 8}, {n_embd: 16}, {n_embd: 24}, {n_embd: 32}]\n";
  auto jobs_in = [](const std::string& out) {
    std::vector<std::string> jobs;
    const std::regex id("submitted job ([0-9]+)");
    for (auto it = std::sregex_iterator(out.begin(), out.end(), id); it != std::sregex_iterator();
         ++it)
      jobs.push_back((*it)[1]);
    return jobs;
  };
  auto submit_study = [&](std::string* out) {
    EXPECT_EQ(run_cli("study " + file.string() + " --submit --threads-per-job 1", out), 0) << *out;
    return jobs_in(*out);
  };
  auto wait_jobs = [&](const std::vector<std::string>& jobs) {
    for (const auto& j : jobs)
      ASSERT_TRUE(wait_until([&] { return job_gone(j); }, 240)) << "job " << j << " still queued";
  };
  std::string out;
  const auto wave0 = submit_study(&out);
  ASSERT_EQ(wave0.size(), 2u) << out;  // trunks, then branches after them
  EXPECT_NE(out.find("wave 0: when these runs have finished"), std::string::npos) << out;
  // While wave 0 is queued or running, another call submits nothing new.
  EXPECT_TRUE(submit_study(&out).empty()) << out;
  wait_jobs(wave0);

  ASSERT_EQ(run_cli("study " + file.string() + " --submit --threads-per-job 1", &out), 0) << out;
  const auto wave1 = jobs_in(out);
  ASSERT_EQ(wave1.size(), 1u) << out;  // the two seeds of the added size, no trunk
  EXPECT_NE(out.find("wave 1 adds N 1.3e+03 below"), std::string::npos) << out;
  const auto state = read_json(root / "study_state.json");
  EXPECT_EQ(state["wave"], 1);
  EXPECT_EQ(state["phase"], "submitted");
  ASSERT_EQ(state["added"].size(), 1u);
  EXPECT_EQ(state["added"][0]["runs"], nlohmann::json({"c1e9-d4-s0", "c1e9-d4-s1"}));
  wait_jobs(wave1);

  EXPECT_TRUE(submit_study(&out).empty()) << out;  // bracketing done: fit and report, here
  EXPECT_NE(out.find("wrote " + (root / "fits.json").string()), std::string::npos) << out;
  EXPECT_EQ(read_json(root / "study_state.json")["phase"], "fitted");
  EXPECT_EQ(read_json(root / "fits.json")["source"]["runs"].size(), 14u);
  EXPECT_TRUE(fs::exists(root / "report" / "report.html"));
  ASSERT_EQ(run_cli("study " + file.string() + " --status", &out), 0) << out;
  EXPECT_NE(out.find("study: wave 1, 1 size(s) added"), std::string::npos) << out;
}
