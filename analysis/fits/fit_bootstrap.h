// The one way a fitter attaches bootstrap intervals (numerics/bootstrap.h) to its FitResult: draw
// opts.n_bootstrap resamples from opts.seed, refit each, set every constant's percentile 95%
// interval, record fit.procedure["bootstrap"] = {resamples, seed, interval, failed, failed_share,
// max_failed_share} plus the fitter's own fields, with notes on wide intervals and on many
// failures, and pass the fit through the identifiability gate (fits/identify.h).
// Two ways to resample: cases (points, runs or steps; attach_bootstrap) or, for seeded points,
// the hierarchical trunk + point bootstrap (fits/seed_bootstrap.h; attach_seed_bootstrap).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/fits/seed_noise.h"
#include "analysis/numerics/bootstrap.h"

namespace scalelab {

struct BootstrapSpec {
  size_t n_units = 0;       // what is resampled: points, runs or steps
  ResampleFit refit;        // one resample's constants, in fit.params order; nullopt when it fails
  std::vector<int> strata;  // optional group per unit; resampling then stays within each group
  nlohmann::json procedure = nlohmann::json::object();  // the fitter's own fields (unit, starts)
  std::vector<std::string> check_wide;  // constants that get a note when their interval is wide
  std::string failure = "could not be fitted";  // what a failed resample did, for the note
};

// With opts.n_bootstrap = 0 it only runs the gate (which then finds no interval). A note names the
// failed share when more than 10% of the resamples failed; fewer than 2 successes leave no
// intervals (the gate then says why) rather than an error.
BootstrapResult attach_bootstrap(FitResult& fit, const FitOptions& opts, const BootstrapSpec& spec);

struct SeedBootstrapSpec {
  const std::vector<SeedPoint>* points = nullptr;
  PooledNoise noise;  // fits/seed_noise.h
  // The full fit's value at each point (NaN: the point was not fitted, e.g. a refused budget):
  // resamples are drawn around it, and mean - fitted are the residuals behind the point level.
  std::vector<double> fitted;
  int residual_dof = 0;  // fitted points minus the constants fitted to them
  // One resample's constants from its point means, in fit.params order; nullopt when it fails.
  std::function<std::optional<std::vector<double>>(const std::vector<double>& means)> refit;
  nlohmann::json procedure = nlohmann::json::object();
  std::vector<std::string> check_wide;
  std::string failure = "could not be fitted";
};
BootstrapResult attach_seed_bootstrap(FitResult& fit, const FitOptions& opts,
                                      const SeedBootstrapSpec& spec);

}  // namespace scalelab
