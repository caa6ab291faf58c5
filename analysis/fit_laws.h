// What `scalelab fit` and `scalelab report` share: loading points from runs or a CSV, running the
// laws asked for, and a readable summary of the fits.
#pragma once

#include <string>
#include <vector>

#include "analysis/fit_result.h"
#include "analysis/points.h"

namespace scalelab {

struct FitInput {
  std::string source;          // the path given
  bool from_csv = false;
  ParamCount count = ParamCount::non_embedding;
  std::string flop_convention = "6n";
  std::vector<Run> runs;       // empty for CSV input
  std::vector<Point> points;   // final points (transfer-study runs left out)
  std::vector<std::string> unfinished, notes;
};

// A CSV file (by extension .csv) or a run folder / folder of runs.
FitInput load_fit_input(const std::string& path, const CsvColumns& cols, const RunReadOptions& ropts,
                        ParamCount count);

// law: chinchilla (approach 3) | kaplan (L(N), L(D), L(N, D), L(C)) | approach1 | approach2 |
// transfer | all. A single law's errors propagate; with "all" a law the data cannot support is
// skipped and the reason appended to `skipped` ("<law>: <why>").
std::vector<FitResult> fit_laws(const FitInput& in, const std::string& law, const FitOptions& opts,
                                std::vector<std::string>& skipped);

// "E = 1.817 [1.769, 1.873]" lines per law, notes included.
std::string format_fits(const std::vector<FitResult>& fits);
std::string format_estimate(const Estimate& e);

}  // namespace scalelab
