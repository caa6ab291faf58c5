// The one way a fitter attaches bootstrap intervals (numerics/bootstrap.h) to its FitResult: draw
// opts.n_bootstrap resamples from opts.seed, refit each, set every constant's percentile 95%
// interval, and record fit.procedure["bootstrap"] = {resamples, seed, interval, failed,
// failed_share} plus the fitter's own fields, with notes on wide intervals and on many failures.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"
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

// Does nothing when opts.n_bootstrap is 0. A note names the failed share when more than 10% of
// the resamples failed: the intervals then describe the resamples that kept the fit's shape.
BootstrapResult attach_bootstrap(FitResult& fit, const FitOptions& opts, const BootstrapSpec& spec);

}  // namespace scalelab
