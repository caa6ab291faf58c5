// A sweep file trained end to end, for every command that runs one (`sweep`, `tune`, and studies
// to come): the file loaded with its --set overrides and expanded, where its run folders go, the
// checks made before anything trains, the runner, and what the result means. The command prints.
#pragma once

#include <string>
#include <vector>

#include "experiments/runner.h"
#include "experiments/sweep.h"

namespace scalelab::sweep {

// A sweep file with its --set overrides, expanded into runs.
struct LoadedSweep {
  std::string file;
  std::vector<Run> runs;
  std::string out_root;  // --out-root, else the file's out_root, else runs/<file stem>
};
LoadedSweep load_sweep(const std::string& file, const std::vector<std::string>& sets,
                       const std::string& out_root_flag);

// "0,1,2" -> {0, 1, 2}; throws naming the flag for anything else.
std::vector<int> parse_gpus(const std::string& list);

// A run cannot start without its dataset: throws naming every missing one before anything trains.
void require_datasets(const std::vector<Run>& runs, const std::vector<std::string>& only);

struct SweepResult {
  std::vector<Outcome> outcomes;
  int stop_signal = 0;   // SIGINT, SIGTERM or SIGUSR1 that paused the sweep; 0 when none came
  int n_unfinished = 0;  // failed, blocked or diverged runs
  int n_diverged = 0;
  // 128 + the stop signal, 1 when runs did not finish, else 0 (what `scalelab sweep` exits with).
  int exit_code() const;
  // The one line for a non-zero exit code.
  std::string verdict() const;
};

// Checks the datasets and GPUs, logs the compute branching saves, trains the runs (runner.h's
// run_all: SIGINT / SIGTERM / SIGUSR1 pause every training process at a checkpoint).
SweepResult train_sweep(const LoadedSweep& sweep, const RunnerOptions& options);

}  // namespace scalelab::sweep
