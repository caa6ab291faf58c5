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
};

// The script. Runs are ordered parents first; each dependency level is a contiguous index range.
// `sbatch OUT` submits the first level (all runs when no run has a parent); `bash OUT` submits
// every level, each as an array that starts after the previous one ends.
std::string slurm_script(const std::vector<Run>& runs, const SlurmOptions& options);

}  // namespace scalelab::sweep
