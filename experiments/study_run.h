// A study end to end, for `scalelab study` (cli/cmd_study.cpp): its design (the study file's runs
// and the sizes bracketing added, read back from OUT_ROOT/study_state.json), the checks made before
// anything trains, and the waves: train every run of the design, ask the analysis where each
// budget's minimum lies, add the ladder's next sizes where it is not bracketed, again until every
// budget is bracketed or at its cap. Training and the analysis come in as hooks: this library links
// neither LibTorch nor analysis/ (the CLI joins them, as for `scalelab tune`).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "experiments/bracketing.h"
#include "experiments/ladder.h"
#include "experiments/study_spec.h"
#include "experiments/study_state.h"
#include "experiments/sweep_run.h"

namespace scalelab::sweep {

struct StudyDesign {
  StudySpec spec;
  std::string out_root, state_path;
  StudyState state;
  std::vector<Run> base_runs;  // the study file's design
  std::vector<Run> runs;       // base_runs and every added size's runs
  std::optional<Ladder> ladder;
  std::vector<double> budgets;  // the design's IsoFLOP budgets, ascending
  std::string flop_convention;  // the sweep's, the same for every run: fits and report use it
  LoadedSweep sweep() const;    // the runs as a sweep, for the sweep's modes
};

// Loads the file (with --set), its state and its runs, and checks, before anything trains: every
// run has an IsoFLOP budget, one FLOP convention, the ladder's rungs, and that the shape rule
// produces the next size on each side of every budget of the file's design.
StudyDesign load_study_design(const std::string& file, const std::vector<std::string>& sets,
                              const std::string& out_root_flag);

// The names of the design's runs that have not finished (no complete summary.json); trunks
// included.
std::vector<std::string> unfinished_runs(const StudyDesign& design);

// The next wave from the standings of the runs trained so far: records each budget's verdict
// and any added sizes in study_state.json (before anything trains) and re-expands the design.
// Returns the sizes added (empty: bracketing is done, phase "bracketed").
std::vector<AddedSize> decide_next_wave(StudyDesign& design,
                                        const std::vector<BudgetStanding>& standings);

struct StudyHooks {
  std::function<SweepResult(const LoadedSweep&)> train;
  // Each budget's standing from the runs trained so far; nullopt when the analysis cannot say.
  std::function<std::optional<std::vector<BudgetStanding>>(const StudyDesign&)> standings;
  std::function<void(const std::string&)> say = [](const std::string&) {};
};

// Trains wave after wave until bracketing is done (returns a result with exit_code() 0), a stop
// signal paused the runs, or runs did not finish (its verdict says which).
SweepResult run_study_waves(StudyDesign& design, const StudyHooks& hooks);

// The dry run's study part: budgets, each one's sizes and the ladder's next sizes, the compute of
// the design and the most bracketing may add.
std::string study_plan_text(const StudyDesign& design);

}  // namespace scalelab::sweep
