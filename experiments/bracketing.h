// Bracketing by design (issue 25 item 3): an IsoFLOP budget whose lowest seed mean has fewer than
// `each_side` sizes on a side gets the ladder's next sizes on that side, wave after wave, until it
// has them or `max_added` sizes were added (then it is unbracketed: left out of the headline).
// Where each budget's minimum lies is the analysis's call (analysis/fits/budget_minima.h, the same
// function approach 2 and the report use): it reaches this torch- and analysis-free library as
// BudgetStanding, so that runner and report agree.
#pragma once

#include <string>
#include <vector>

#include "experiments/ladder.h"
#include "experiments/study_spec.h"
#include "experiments/sweep.h"

namespace scalelab::sweep {

// One budget as budget_minima(group_seeds(runs)) sees it.
struct BudgetStanding {
  double budget = 0;
  std::vector<double> sizes;  // distinct N, ascending
  std::vector<double> means;  // the seed mean at each size
  std::vector<int> seeds;     // seeds behind each mean
  size_t i_min = 0;           // index of the lowest mean
  int below = 0, above = 0;   // sizes smaller / larger than the minimum's
};

// A size bracketing added to a budget, and why.
struct AddedSize {
  int wave = 0;
  double budget = 0;
  Side side = Side::above;
  Assignments shape;  // the ladder rung's model.* values
  double params = 0;
  std::string reason;
  std::vector<std::string> runs;  // the runs it became (one per seed; set when expanded)
};

struct BudgetVerdict {
  double budget = 0;
  bool bracketed = false;
  int added = 0;       // sizes added to it so far (this wave's included)
  std::string reason;  // why it is not bracketed (yet): "" when bracketed
};

struct WaveDecision {
  std::vector<AddedSize> added;        // this wave's new sizes; empty = bracketing is done
  std::vector<BudgetVerdict> budgets;  // every budget, ascending
};

// The next wave, from every budget's standing and the sizes added before. Per budget: bracketed
// when the minimum has each_side sizes on both sides; else the ladder's next sizes on the short
// side(s), as many as are missing, within the budget's remaining cap; at the cap, unbracketed.
// Throws one line naming the budget and the ladder when the ladder has no next size there. Without
// a ladder (a study without bracketing:) nothing is added and each budget only gets its verdict.
WaveDecision decide_wave(const std::vector<BudgetStanding>& standings, const Ladder* ladder,
                         const BracketingSpec& rule, const std::vector<AddedSize>& before,
                         int wave);

// The sweep group that trains an added size: the group of the design's run of that budget, its
// grid point with the rung's shape. Added sizes never share a trunk with the design's runs (a
// finished trunk has no checkpoint at their branch points): they form families of their own wave.
Group added_group(const Spec& spec, const std::vector<Run>& design_runs, const AddedSize& added);

// "3e+10" as every message names a budget (the analysis's %.3g).
std::string budget_text(double budget);

// The design's budgets (the runs' tokens_from_flops C), ascending; a run without one is an error
// naming it: bracketing needs IsoFLOP budgets.
std::vector<double> design_budgets(const std::vector<Run>& runs);

}  // namespace scalelab::sweep
