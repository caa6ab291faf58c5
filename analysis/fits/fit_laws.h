// What `scalelab fit` and `scalelab report` share: running the laws asked for on a FitInput
// (inputs/fit_input.h), and a readable summary of the fits.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/inputs/fit_input.h"

namespace scalelab {

// What `scalelab fit --law` asks for: chinchilla (approach 3) | kaplan (L(N), L(D), L(N, D), L(C))
// | approach1 | approach2 | transfer | data-constrained (Muennighoff et al. 2023; needs U per
// point) | all (data-constrained only when some point has U) | multipower (loss curves of one
// size under several schedules, fits/multipower_fit.h; not part of all).
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
