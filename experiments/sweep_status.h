// `scalelab sweep FILE --status`: where each run of a sweep stands, from its run folder (new,
// running, resumable, done, failed, diverged; a running run's step, loss and time left from its
// newest metrics line) and, where Slurm is present and the sweep was submitted
// (OUT_ROOT/slurm_jobs.json), from squeue and sacct (pending, running, ...).
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
  // Done: the summary's steps. Running: the newest metrics line's. Otherwise the newest
  // checkpoint's (where a resume continues), 0 when none.
  int64_t steps = 0;
  int64_t total_steps = 0;
  // Running: the newest train line's loss and the newest evaluation's (NaN when none yet), and
  // the time left at the newest line's tokens/s (NaN while unknown).
  double loss = 0, val_loss = 0, eta_s = 0;
  double tokens_done = 0, tokens_per_s = 0;  // running: tokens so far and over its time so far
};

// slurm_note gets why no Slurm state is shown ("" when it is).
std::vector<RunStanding> sweep_standing(const std::vector<Run>& runs, const std::string& out_root,
                                        std::string* slurm_note);

std::string standing_table(const std::vector<RunStanding>& rows);

// The runner's progress line for the sweep as the folders show it (sweep_progress.h): running
// runs at their rates so far, the runs left at the rates the folder's runs were trained at
// (sweep_state.json), as many at once as its runner's jobs or the runs running now.
std::string standing_progress(const std::vector<Run>& runs, const std::vector<RunStanding>& rows,
                              const std::string& out_root);
nlohmann::json standing_json(const std::vector<RunStanding>& rows);

}  // namespace scalelab::sweep
