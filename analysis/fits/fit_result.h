// A fitted law as stored in fits.json (docs/formats.md): constants with bootstrap intervals, the
// procedure and the data used.
#pragma once

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/fits/law_id.h"

namespace scalelab {

struct Estimate {
  std::string name;
  double value = 0;
  double lo = NAN, hi = NAN;  // 95% bootstrap interval; NaN when no bootstrap was run
  bool has_ci() const { return std::isfinite(lo) && std::isfinite(hi); }
};

// What every fitter takes besides its points.
struct FitOptions {
  int n_bootstrap = 0;  // resamples; 0 = point estimates only
  uint64_t seed = 0;
  int n_threads = 0;  // 0 = hardware concurrency
  // data-constrained only: a fits.json whose fresh-data fit (chinchilla_approach3) fixes E, A, B,
  // alpha, beta, so that only R_D*, R_N* are fitted; empty = all seven jointly.
  std::string fresh_fit;
};

struct FitResult {
  LawId law = LawId::chinchilla_approach3;
  std::vector<Estimate> params;
  nlohmann::json procedure = nlohmann::json::object();
  nlohmann::json data = nlohmann::json::object();
  std::vector<std::string> notes;  // what a reader must know: refused budgets, wide intervals...

  const Estimate& at(const std::string& name) const;  // throws naming the constant
  double value(const std::string& name) const { return at(name).value; }
  // Sets the intervals of params in order from per-constant (lo, hi).
  void set_intervals(const std::vector<double>& lo, const std::vector<double>& hi);
};

// The fit of `law` among `fits`; nullptr when it is not there.
const FitResult* find_fit(const std::vector<FitResult>& fits, LawId law);

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
