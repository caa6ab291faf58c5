// OUT_ROOT/study_state.json: what a study has done and decided, rewritten at every step so that an
// interrupted study resumes where it stopped: its waves, every size bracketing added (with the
// wave, the reason and the runs it became), and each budget's verdict (bracketed or not, why).
// The added sizes are the part a rerun reads back: they are the design beyond the study file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "experiments/bracketing.h"

namespace scalelab::sweep {

struct StudyState {
  std::string study_file;
  int wave = 0;                        // the wave being trained (0 = the file's design)
  std::vector<AddedSize> added;        // every size added, oldest first
  std::vector<BudgetVerdict> budgets;  // from the last decision; empty before the first
  std::vector<BudgetStanding> standings;
  std::string phase = "training";  // training | submitted | bracketed | fitted
  std::vector<std::string> notes;
};

// An absent file is a fresh state; a malformed one is an error naming the file and key (nothing
// is overwritten: the study stops).
StudyState read_study_state(const std::string& path);
void write_study_state(const std::string& path, const StudyState& state);
nlohmann::json study_state_json(const StudyState& state);

// The unbracketed budgets' lines, and "N of M budgets bracketed" for people.
std::string study_state_text(const StudyState& state);

}  // namespace scalelab::sweep
