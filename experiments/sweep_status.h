// `scalelab sweep FILE --status`: where each run of a sweep stands, from its run folder (new,
// running, resumable, done, failed, diverged) and, where Slurm is present and the sweep was
// submitted (OUT_ROOT/slurm_jobs.json), from squeue and sacct (pending, running, ...).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/sweep.h"

namespace scalelab::sweep {

struct RunStanding {
  std::string name;
  std::string folder;         // new | running | resumable | done | failed | diverged
  std::string job;            // "JOBID_TASK" of the newest submission holding it, "" if none
  std::string slurm_state;    // lowercased squeue / sacct state, "" when Slurm does not know it
  double final_val_loss = 0;  // NaN when not finished
  int64_t steps = 0;          // of the run's summary (0 while none)
  int64_t total_steps = 0;
};

// slurm_note gets why no Slurm state is shown ("" when it is).
std::vector<RunStanding> sweep_standing(const std::vector<Run>& runs, const std::string& out_root,
                                        std::string* slurm_note);

std::string standing_table(const std::vector<RunStanding>& rows);
nlohmann::json standing_json(const std::vector<RunStanding>& rows);

}  // namespace scalelab::sweep
