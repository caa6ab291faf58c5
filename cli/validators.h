// Number checks for command-line options that refuse NaN and infinity. CLI11's PositiveNumber
// and Range compare with < and >, which NaN passes, so `--params nan` used to print nonsense.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <string>

namespace scalelab::cli {

// A finite number within [lo, hi] (or (lo, hi] when open_below).
inline CLI::Validator finite_number(double lo, double hi, bool open_below,
                                    const std::string& what) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(text, v)) return "'" + text + "' is not a number";
        if (!std::isfinite(v)) return "'" + text + "' is not a finite number";
        if ((open_below ? v <= lo : v < lo) || v > hi) return "'" + text + "' is not " + what;
        return "";
      },
      what);
}

inline const CLI::Validator FinitePositive = finite_number(0, HUGE_VAL, true, "a positive number");
inline const CLI::Validator FiniteNonNegative =
    finite_number(0, HUGE_VAL, false, "a non-negative number");
inline CLI::Validator FiniteRange(double lo, double hi) {
  char text[96];
  std::snprintf(text, sizeof text, "in [%g, %g]", lo, hi);
  return finite_number(lo, hi, false, text);
}

// A whole number of at least `lo` (CLI11's NonNegativeNumber and PositiveNumber print DBL_MAX's
// 309 digits as their bound). `meaning` explains the allowed range, e.g. "(0: every token)".
inline CLI::Validator WholeNumberFrom(long long lo, const std::string& meaning = "") {
  const std::string what = "a whole number >= " + std::to_string(lo) + meaning;
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        long long v = 0;
        if (!CLI::detail::lexical_cast(text, v) || v < lo) return "'" + text + "' is not " + what;
        return "";
      },
      what);
}

}  // namespace scalelab::cli
