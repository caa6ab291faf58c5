// What `scalelab fit` and `scalelab report` share: loading points from runs or a CSV, running the
// laws asked for, and a readable summary of the fits.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "analysis/fit_result.h"
#include "analysis/points.h"

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

// What `scalelab fit --law` asks for: chinchilla (approach 3) | kaplan (L(N), L(D), L(N, D), L(C))
// | approach1 | approach2 | transfer | data-constrained (Muennighoff et al. 2023; needs U per
// point) | all (data-constrained only when some point has U) | multipower (loss curves of one
// size under several schedules, analysis/multipower.h; not part of all).
enum class FitLaw {
  chinchilla,
  kaplan,
  approach1,
  approach2,
  transfer,
  data_constrained,
  all,
  multipower
};
template <>
struct EnumNames<FitLaw> {
  static constexpr std::array<std::pair<FitLaw, const char*>, 8> values{
      {{FitLaw::chinchilla, "chinchilla"},
       {FitLaw::kaplan, "kaplan"},
       {FitLaw::approach1, "approach1"},
       {FitLaw::approach2, "approach2"},
       {FitLaw::transfer, "transfer"},
       {FitLaw::data_constrained, "data-constrained"},
       {FitLaw::all, "all"},
       {FitLaw::multipower, "multipower"}}};
};

// A single law's errors propagate; with all, a law the data cannot support is skipped and the
// reason appended to `skipped` ("<law>: <why>").
std::vector<FitResult> fit_laws(const FitInput& in, FitLaw law, const FitOptions& opts,
                                std::vector<std::string>& skipped);

// "E = 1.817 [1.769, 1.873]" lines per law, notes included.
std::string format_fits(const std::vector<FitResult>& fits);
std::string format_estimate(const Estimate& e);

}  // namespace scalelab
