// `scalelab sweep --slurm OUT.sbatch`: a Slurm job-array script, one array task per run. Each task
// runs `scalelab sweep FILE --only NAME`, so a cluster gets the same skipping, resuming, locking
// and torchrun launch as a local runner, into the same run folders.
#pragma once

#include <string>
#include <vector>

#include "experiments/sweep.h"

namespace scalelab::sweep {

struct SlurmOptions {
  std::string sweep_path;  // absolute
  std::string out_root;    // absolute
  std::string binary;      // absolute path of scalelab
  std::string workdir;     // relative dataset paths are read from here
  std::string job_name;
  std::vector<std::string> extra;  // more #SBATCH options, e.g. "--partition=gpu", "--time=4:00:00"
  std::vector<std::string> sets;   // the sweep's --set key=value, passed on to every task
  int threads_per_task = 0;       // --cpus-per-task; 0: the runs' largest train.threads, at least 1
  int warning_s = 300;            // Slurm sends SIGUSR1 this long before the time limit
  std::string command = "sweep";  // the subcommand each task runs: sweep | study (same flags)
};

// --cpus-per-task of the array: the runs' threads (one value for every task of the array).
int slurm_cpus_per_task(const std::vector<Run>& runs, const SlurmOptions& options);

// The script. Runs are ordered parents first; each dependency level is a contiguous index range.
// `sbatch OUT` submits the first level (all runs when no run has a parent); `bash OUT` submits
// every level, each as an array that starts after the previous one ends. Each task asks for
// --requeue and a warning signal (--signal=B:USR1@warning_s) that it passes on to the run, which
// checkpoints; a task stopped by the warning requeues itself, one stopped by `scontrol requeue`
// is requeued by Slurm, and either resumes from its checkpoint when it starts again.
std::string slurm_script(const std::vector<Run>& runs, const SlurmOptions& options);

}  // namespace scalelab::sweep
