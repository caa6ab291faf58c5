// The Slurm path without a cluster: the job-array script (bash -n, every run named), array ranges
// in Slurm's syntax, and the task part of the script run with stand-ins for scalelab and scontrol:
// SIGUSR1 to the batch shell pauses the runner and requeues the task, SIGTERM requeues nothing.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "experiments/slurm.h"
#include "experiments/slurm_submit.h"
#include "tests/support/sweep_files.h"

using namespace scalelab;
using namespace scalelab::sweep;
using scalelab::test_util::SweepTest;
namespace fs = std::filesystem;

TEST_F(SweepTest, SlurmScriptPassesBashNAndNamesEveryRun) {
  auto runs = expand_text(
      "zip: {model.n_layer: [1, 2]}\n"
      "groups:\n"
      "  - {name: \"pre-l{model.n_layer}\"}\n"
      "  - {name: \"ft-l{model.n_layer}\", init_from: \"pre-l{model.n_layer}\", set: "
      "{sweep.gpus_per_run: 2}}\n");
  SlurmOptions o{"/abs/sweep.yaml", (dir_ / "runs").string(), "/abs/scalelab",
                 dir_.string(),     "scalelab-test",          {"--time=1:00:00"}};
  const std::string script = slurm_script(runs, o);
  const fs::path path = dir_ / "sweep.sbatch";
  std::ofstream(path) << script;
  EXPECT_EQ(std::system(("bash -n " + path.string()).c_str()), 0) << script;
  for (const auto& r : runs)
    EXPECT_NE(script.find("  " + r.name + "  #"), std::string::npos) << r.name;
  EXPECT_NE(script.find("#SBATCH --array=0-1\n"), std::string::npos) << script;
  EXPECT_NE(script.find("LEVELS=(0-1 2-3)"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --gres=gpu:2"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --time=1:00:00"), std::string::npos) << script;
  EXPECT_NE(script.find("--only"), std::string::npos);
  // Preemption: a warning signal before the time limit, requeueing allowed, one CPU per thread.
  EXPECT_NE(script.find("#SBATCH --signal=B:USR1@300\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --requeue\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --cpus-per-task=1\n"), std::string::npos) << script;  // debug.yaml
  o.threads_per_task = 3;
  o.warning_s = 120;
  const std::string three = slurm_script(runs, o);
  EXPECT_NE(three.find("#SBATCH --cpus-per-task=3\n"), std::string::npos) << three;
  EXPECT_NE(three.find("#SBATCH --signal=B:USR1@120\n"), std::string::npos) << three;
  EXPECT_NE(three.find("--threads-per-job \"${SLURM_CPUS_PER_TASK:-3}\""), std::string::npos);
}

TEST(SlurmSubmit, ArrayRangesAreSlurmsSyntax) {
  EXPECT_EQ(array_ranges({0, 1, 2, 5}), "0-2,5");
  EXPECT_EQ(array_ranges({3}), "3");
  EXPECT_EQ(array_ranges({1, 3, 4, 6, 7, 8}), "1,3-4,6-8");
}

namespace {

// Runs the script as Slurm would run array task 0 of array job 99, with stand-ins for scalelab
// (waits for a signal; 138 on SIGUSR1 as train and sweep exit, dies on SIGTERM) and scontrol
// (records its arguments); sends `signal_number` to the batch shell once the stand-in runs. Returns
// the script's exit status.
int task_stopped_by(const fs::path& dir, const std::string& script, int signal_number) {
  const fs::path path = dir / "task.sbatch", bin = dir / "bin";
  fs::create_directories(bin);
  std::ofstream(path) << script;
  std::ofstream(bin / "scalelab") << "#!/bin/bash\ntrap 'exit 138' USR1\necho \"$@\" > "
                                  << (dir / "args.txt").string()
                                  << "\nwhile :; do sleep 0.05; done\n";
  std::ofstream(bin / "scontrol") << "#!/bin/sh\necho \"$@\" >> " << (dir / "scontrol.txt").string()
                                  << "\n";
  for (auto name : {"scalelab", "scontrol"}) fs::permissions(bin / name, fs::perms::owner_all);
  fs::remove(dir / "args.txt");
  const pid_t pid = fork();
  if (pid == 0) {
    setenv("SCALELAB", (bin / "scalelab").c_str(), 1);
    setenv("PATH", (bin.string() + ":" + getenv("PATH")).c_str(), 1);
    setenv("SLURM_ARRAY_TASK_ID", "0", 1);
    setenv("SLURM_ARRAY_JOB_ID", "99", 1);
    setenv("SLURM_JOB_ID", "99", 1);  // the array's first task has the array's own id
    execl("/bin/bash", "bash", path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {  // until the stand-in runs (at most 5 s)
    std::error_code ec;
    const auto size = fs::file_size(dir / "args.txt", ec);
    if (!ec && size > 0) break;
    usleep(25000);
  }
  // No sleep: the script sets its traps before it starts the runner, and passes on a signal
  // that comes before it knows the runner's pid.
  kill(pid, signal_number);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_F(SweepTest, SlurmTaskPassesTheWarningOnAndRequeuesItself) {
  auto runs = expand_text("grid: {train.seed: [1, 2]}\n");
  SlurmOptions o{"/abs/sweep.yaml", (dir_ / "runs").string(), "/abs/scalelab", dir_.string(),
                 "scalelab-test"};
  const std::string script = slurm_script(runs, o);
  // Slurm's warning (B:USR1) reaches the batch shell only: the runner gets it, pauses, and the
  // task goes back into the queue.
  EXPECT_EQ(task_stopped_by(dir_, script, SIGUSR1), 138);
  std::ifstream args(dir_ / "args.txt");
  const std::string line(std::istreambuf_iterator<char>(args), {});
  EXPECT_NE(line.find("--threads-per-job 1 --only seed1"), std::string::npos) << line;
  std::ifstream calls(dir_ / "scontrol.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(calls), {}), "requeue 99_0\n");
  // SIGTERM (scancel, or Slurm's own requeue) is passed on too, and requeues nothing itself.
  fs::remove(dir_ / "scontrol.txt");
  EXPECT_EQ(task_stopped_by(dir_, script, SIGTERM), 128 + SIGTERM);
  EXPECT_FALSE(fs::exists(dir_ / "scontrol.txt"));
}
