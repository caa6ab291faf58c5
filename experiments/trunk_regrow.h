// A branch whose trunk has no checkpoint at its branch point: deleted, or never written because
// the budget was added to the sweep after the trunk had finished. The runner then trains the
// trunk again up to that step, in TRUNK/regrown/step_<8 digits>/ (inside the trunk's folder, so
// the analysis never reads it as a run of its own), continued from the trunk's newest checkpoint
// before the branch point when it has one, else from step 0, and the branch starts from the
// checkpoint that writes. The trunk's own folder is not touched. On CPU the regrown steps equal
// the trunk's bit for bit (a resumed run equals an uninterrupted one, and the regrowth takes the
// packed path when the sweep packs, as the trunk did), so the branch is the run it would have been.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "experiments/runner.h"
#include "experiments/sweep.h"

namespace scalelab::sweep {

// OUT_ROOT/TRUNK/regrown/step_<b>: where a branch's missing checkpoint is regrown.
std::string regrow_dir(const std::string& out_root, const Run& branch);

// The checkpoint a branch starts from: the trunk's own at the branch point, else the regrown one;
// nullopt when neither exists yet.
std::optional<std::string> branch_checkpoint(const std::string& out_root, const Run& branch);

struct RegrowPlan {
  std::vector<std::string> args;  // `scalelab train` arguments (without the binary)
  // The same start, for a sweep that packs (one run of a pack file, `scalelab train-packed FILE
  // --stop-after-step stop_step`): the regrown steps then take the packed path, as the trunk's did.
  TrainStart start;
  int64_t stop_step = 0;
  std::string how;  // "from the trunk's checkpoint at step 400", for the log
};
// How to regrow the branch's checkpoint: resume an interrupted regrowth, else continue the
// trunk's newest checkpoint before the branch point (`--branch-from`), else train from step 0;
// each stops after the branch point with a checkpoint there. The regrowth trains `trunk`'s
// config (its run folder's sweep_config.yaml, written by the caller) with `trunk`'s tags.
RegrowPlan regrow_plan(const std::string& out_root, const Run& trunk, const Run& branch);

}  // namespace scalelab::sweep
