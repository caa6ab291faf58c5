// A fitted law as stored in fits.json (docs/formats.md): constants with bootstrap intervals, the
// procedure and the data used.
#pragma once

#include <cmath>
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "analysis/fits/law_id.h"

namespace scalelab {

struct Estimate {
  std::string name;
  double value = 0;
  double lo = NAN, hi = NAN;  // 95% bootstrap interval; NaN when no bootstrap was run
  bool has_ci() const { return std::isfinite(lo) && std::isfinite(hi); }
};

// How approach 3 searches: variable projection (fits/varpro.h, the default: a 2-D search over the
// exponents with E, A, B solved for) or the published 4,500-start L-BFGS grid (Hoffmann et al.
// 2022, appendix D.2). Both minimise the same objective; on Epoch's data they give the same
// optimum.
enum class Approach3Method { varpro, grid };
template <>
struct EnumNames<Approach3Method> {
  static constexpr std::array<std::pair<Approach3Method, const char*>, 2> values{
      {{Approach3Method::varpro, "varpro"}, {Approach3Method::grid, "grid"}}};
};

// The share of failed bootstrap resamples above which a fit is "not identified" (fits/identify.h).
inline constexpr double kDefaultMaxFailedShare = 0.10;

// What every fitter takes besides its points.
struct FitOptions {
  int n_bootstrap = 0;  // resamples; 0 = point estimates only
  uint64_t seed = 0;
  int n_threads = 0;  // 0 = hardware concurrency
  // data-constrained only: a fits.json whose fresh-data fit (chinchilla_approach3) fixes E, A, B,
  // alpha, beta, so that only R_D*, R_N* are fitted; empty = all seven jointly.
  std::string fresh_fit;
  Approach3Method approach3_method = Approach3Method::varpro;
  // approach 2: a budget counts only when the minimum of its seed means has at least this many
  // sizes on each side (a study's bracketing rule, fits/budget_minima.h); 0 = today's rule alone
  // (the parabola's minimum inside the ladder).
  int min_each_side = 0;
  double max_failed_share = kDefaultMaxFailedShare;  // the identifiability gate's limit
};

struct FitResult {
  LawId law = LawId::chinchilla_approach3;
  std::vector<Estimate> params;
  nlohmann::json procedure = nlohmann::json::object();
  nlohmann::json data = nlohmann::json::object();
  std::vector<std::string> notes;  // what a reader must know: refused budgets, wide intervals...
  // The identifiability gate's verdict (fits/identify.h): an unidentified fit prints no interval,
  // draws no line and gives no advice; not_identified says why, one reason per entry.
  bool identified = false;
  std::vector<std::string> not_identified;

  const Estimate& at(const std::string& name) const;  // throws naming the constant
  double value(const std::string& name) const { return at(name).value; }
  // Sets the intervals of params in order from per-constant (lo, hi).
  void set_intervals(const std::vector<double>& lo, const std::vector<double>& hi);
};

// The fit of `law` among `fits`; nullptr when it is not there.
const FitResult* find_fit(const std::vector<FitResult>& fits, LawId law);

// Writes identified and not_identified; reading a fits.json written before the gate existed runs
// the gate on it (fits/identify.h), so old files are judged like new ones.
nlohmann::json to_json(const FitResult& fit);
FitResult fit_from_json(LawId law, const nlohmann::json& j);

// {"version": 1, "laws": {...}}; reading throws naming the file for a law name it does not know.
void write_fits_json(const std::string& path, const std::vector<FitResult>& fits,
                     const nlohmann::json& source);
std::vector<FitResult> read_fits_json(const std::string& path);

// A note when an interval is wider than max_rel times the value: the data cannot pin that
// constant down.
void note_wide_intervals(FitResult& fit, const std::vector<std::string>& names,
                         double max_rel = 0.5);

}  // namespace scalelab
