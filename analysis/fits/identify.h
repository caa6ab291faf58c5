// The identifiability gate (issue 25 item 6, issue 26): every fit passes it before an interval is
// printed, a law is drawn or advice (plan, predict, the report's recommendation) is given. A fit is
// identified when none of these holds, and each that holds is one reason in words:
//   - it has no bootstrap intervals (nothing says how well the data pin it down);
//   - its bootstrap lost more than max_failed_share of its resamples (the intervals then describe
//     only the resamples that kept the fit's shape, e.g. an interior minimum);
//   - an interval has zero width (every resample gave the same value: the data do not move it,
//     as when every point has the same loss);
//   - a constant is not finite, or sits at a bound of its search (fits.json procedure.at_bounds,
//     written by the fitter: VarPro's exponent box, E, A, B >= 0);
//   - a constant whose sign the law's shape fixes has the other sign (Multi-Power's alpha and
//     beta: with beta < 0 a decay would raise the loss);
//   - an error is larger than the signal: the 95% interval of an exponent (or E) is wider than its
//     value, or that of a scale constant (R_D*) spans more than a factor of kMaxScaleRatio. Which
//     constants each law is judged on: judged_constants().
#pragma once

#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"

namespace scalelab {

inline constexpr double kMaxScaleRatio = 100;

struct JudgedConstants {
  std::vector<std::string> signal;    // interval must be narrower than |value|
  std::vector<std::string> scale;     // interval must span at most a factor kMaxScaleRatio
  std::vector<std::string> positive;  // the law's shape needs value > 0 (Multi-Power's beta)
};
// Per law: the constants a conclusion rests on (prefactors that trade off against exponents,
// such as A, B, k_N, are left out: their intervals are wide even for a well-determined law).
JudgedConstants judged_constants(LawId law);

// Sets fit.identified and fit.not_identified from the fit's intervals, procedure.bootstrap and
// procedure.at_bounds. Idempotent: it judges the fit as it is now.
void identify(FitResult& fit, double max_failed_share = kDefaultMaxFailedShare);

// A copy of fit judged afresh, with the failed-share limit it was fitted under
// (procedure.bootstrap. max_failed_share, else the default): what every consumer (plan, predict,
// figures, the report) checks, so that a fit built in memory or read from an old fits.json meets
// the same rule.
FitResult judged(const FitResult& fit);

// "not identified (reason; reason)" or "" for an identified fit.
std::string not_identified_text(const FitResult& fit);

// Throws "<what>: <law> is not identified (reasons)" unless fit.identified.
void require_identified(const FitResult& fit, const std::string& what);

}  // namespace scalelab
