// What every fit reads: the final points of a CSV or of a folder of runs, with the runs themselves
// (curves, tags) and what was left out. `scalelab fit` and `scalelab report` load it once.
#pragma once

#include <string>
#include <vector>

#include "analysis/inputs/points.h"

namespace scalelab {

struct FitInput {
  std::string source;  // the path given
  bool from_csv = false;
  ParamCount count = ParamCount::non_embedding;
  FlopConvention flop_convention = FlopConvention::six_n;
  std::vector<Run> runs;      // empty for CSV input
  std::vector<Point> points;  // final points (transfer-study runs left out)
  std::vector<std::string> unfinished, notes;
  std::vector<std::string> left_out;  // runs not fitted, each with why (RunSet::left_out)
};

// A CSV file (by extension .csv) or a run folder / folder of runs.
FitInput load_fit_input(const std::string& path, const CsvColumns& cols,
                        const RunReadOptions& ropts, ParamCount count);

// The runs that are points of a scaling curve: not the transfer study's (its own law), not the
// trunks of a branched grid (constant-lr runs whose branches are the points).
std::vector<Run> scaling_runs(const std::vector<Run>& runs);

}  // namespace scalelab
