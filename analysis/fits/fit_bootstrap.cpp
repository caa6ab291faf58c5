#include "analysis/fits/fit_bootstrap.h"

#include <algorithm>
#include <cmath>

#include "analysis/fits/identify.h"
#include "analysis/fits/seed_bootstrap.h"

namespace scalelab {
namespace {

void record(FitResult& fit, const FitOptions& opts, const BootstrapResult& b,
            const nlohmann::json& own, const std::vector<std::string>& check_wide,
            const std::string& failure) {
  if (!b.lo.empty()) fit.set_intervals(b.lo, b.hi);
  nlohmann::json r = {{"resamples", opts.n_bootstrap},
                      {"seed", opts.seed},
                      {"interval", "percentile 95%"},
                      {"failed", b.n_failed},
                      {"failed_share", double(b.n_failed) / opts.n_bootstrap},
                      {"max_failed_share", opts.max_failed_share}};
  r.update(own);
  fit.procedure["bootstrap"] = r;
  if (b.n_failed > opts.n_bootstrap / 10)
    fit.notes.push_back(std::to_string(b.n_failed) + " of " + std::to_string(opts.n_bootstrap) +
                        " resamples " + failure + "; the intervals are optimistic");
  note_wide_intervals(fit, check_wide);
  identify(fit, opts.max_failed_share);
}

}  // namespace

BootstrapResult attach_bootstrap(FitResult& fit, const FitOptions& opts,
                                 const BootstrapSpec& spec) {
  if (opts.n_bootstrap <= 0) {
    identify(fit, opts.max_failed_share);
    return {};
  }
  if (opts.n_bootstrap < 2) throw std::runtime_error("--bootstrap must be at least 2 resamples");
  const BootstrapOptions bo{opts.n_bootstrap, opts.seed, 0.95, opts.n_threads, spec.strata};
  const auto sets = resample_indices(spec.n_units, bo);
  BootstrapResult b = bootstrap_tasks(
      sets.size(), [&](size_t i) { return spec.refit(sets[i]); }, 0.95, opts.n_threads);
  record(fit, opts, b, spec.procedure, spec.check_wide, spec.failure);
  return b;
}

BootstrapResult attach_seed_bootstrap(FitResult& fit, const FitOptions& opts,
                                      const SeedBootstrapSpec& spec) {
  if (opts.n_bootstrap <= 0) {
    identify(fit, opts.max_failed_share);
    return {};
  }
  if (opts.n_bootstrap < 2) throw std::runtime_error("--bootstrap must be at least 2 resamples");
  const auto& pts = *spec.points;
  const std::vector<double> v = mean_variances(pts, spec.noise.model);
  std::vector<double> residuals, centre;
  for (size_t i = 0; i < pts.size(); ++i) {
    const bool fitted = i < spec.fitted.size() && std::isfinite(spec.fitted[i]);
    residuals.push_back(fitted ? pts[i].mean - spec.fitted[i] : NAN);
    centre.push_back(fitted ? spec.fitted[i] : pts[i].mean);
  }
  double phi2 = lack_of_fit_ratio(residuals, v, spec.residual_dof);
  std::vector<double> extra(pts.size(), 0.0);
  const bool lack_of_fit = std::isfinite(phi2) && phi2 > chi2_95_per_dof(spec.residual_dof);
  if (lack_of_fit)
    for (size_t i = 0; i < pts.size(); ++i) extra[i] = (phi2 - 1) * v[i];
  const auto means =
      seed_resamples(pts, centre, spec.noise.model, extra, opts.n_bootstrap, opts.seed);
  BootstrapResult b = bootstrap_tasks(
      means.size(), [&](size_t i) { return spec.refit(means[i]); }, 0.95, opts.n_threads);
  nlohmann::json own = {
      {"unit",
       "hierarchical: trunk (shared normal effect per trunk, own per run, pooled noise model) "
       "and point (lack of fit)"},
      {"noise", spec.noise.to_json()},
      {"lack_of_fit_ratio", std::isfinite(phi2) ? nlohmann::json(phi2) : nlohmann::json(nullptr)},
      {"lack_of_fit_dof", spec.residual_dof},
      {"lack_of_fit_limit", spec.residual_dof > 0
                                ? nlohmann::json(chi2_95_per_dof(spec.residual_dof))
                                : nlohmann::json(nullptr)},
      {"point_level_added", lack_of_fit}};
  own.update(spec.procedure);
  record(fit, opts, b, own, spec.check_wide, spec.failure);
  return b;
}

}  // namespace scalelab
