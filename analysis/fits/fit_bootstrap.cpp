#include "analysis/fits/fit_bootstrap.h"

namespace scalelab {

BootstrapResult attach_bootstrap(FitResult& fit, const FitOptions& opts,
                                 const BootstrapSpec& spec) {
  if (opts.n_bootstrap <= 0) return {};
  const BootstrapOptions bo{opts.n_bootstrap, opts.seed, 0.95, opts.n_threads, spec.strata};
  BootstrapResult b = bootstrap(spec.n_units, spec.refit, bo);
  fit.set_intervals(b.lo, b.hi);
  nlohmann::json record = {{"resamples", opts.n_bootstrap},
                           {"seed", opts.seed},
                           {"interval", "percentile 95%"},
                           {"failed", b.n_failed},
                           {"failed_share", double(b.n_failed) / opts.n_bootstrap}};
  record.update(spec.procedure);
  fit.procedure["bootstrap"] = record;
  if (b.n_failed > opts.n_bootstrap / 10)
    fit.notes.push_back(std::to_string(b.n_failed) + " of " + std::to_string(opts.n_bootstrap) +
                        " resamples " + spec.failure + "; the intervals are optimistic");
  note_wide_intervals(fit, spec.check_wide);
  return b;
}

}  // namespace scalelab
