// `scalelab sweep FILE --submit`: the Slurm script (experiments/slurm.h) submitted with sbatch, one
// array per dependency level, holding only the runs that are not finished; and the record of
// what was submitted (OUT_ROOT/slurm_jobs.json) that `--status` reads.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/sweep.h"

namespace scalelab::sweep {

struct SubmittedArray {
  std::string job_id;
  std::vector<size_t> indices;  // array task ids = positions in the script's RUNS
};

struct Submission {
  std::vector<SubmittedArray> arrays;  // one per dependency level that had runs left
  std::vector<std::string> skipped;    // finished (or diverged) runs, left out of the arrays
  std::vector<std::string> queued;     // runs whose task from before is still pending or running
};

// Throws one line when this machine cannot submit: sbatch missing, or a --partition in
// slurm_opts that the cluster does not have. Called before anything is written.
void require_submittable(const std::vector<std::string>& slurm_opts);

// Throws naming the first --only name that is not a run of the sweep.
void require_known_runs(const std::vector<Run>& runs, const std::vector<std::string>& only);

// Submits `script` (written for `runs` into out_root), only the runs named in `only` when it is
// not empty. Throws one line naming the problem, with
// nothing left queued, when sbatch is missing, a --partition in slurm_opts does not exist, or
// sbatch refuses any level (the levels already submitted are cancelled again).
Submission submit_sweep(const std::vector<Run>& runs, const std::string& script,
                        const std::string& out_root, const std::vector<std::string>& slurm_opts,
                        const std::vector<std::string>& only = {});

// The command that follows a submitted sweep: `scalelab sweep FILE --status` with the same
// --out-root and --set options (without them --status would read another folder or other runs),
// quoted for a shell.
std::string status_command(const std::string& sweep_file, const std::string& out_root_flag,
                           const std::vector<std::string>& sets);

// "0-2,5": Slurm's --array syntax for sorted indices.
std::string array_ranges(const std::vector<size_t>& indices);

// OUT_ROOT/slurm_jobs.json: every submission, oldest first ({"jobs": [{job_id, tasks: {index:
// run}, submitted}]}); an empty list when there is none.
nlohmann::json read_slurm_jobs(const std::string& out_root);

}  // namespace scalelab::sweep
