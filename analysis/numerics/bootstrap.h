// Nonparametric (case-resampling) bootstrap with percentile intervals (Efron & Tibshirani 1993,
// ch. 13), the procedure behind Hoffmann et al.'s and Besiroglu et al.'s quoted intervals.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace scalelab {

// Fits the law on the points idx (with repeats) and returns its constants, or nullopt when the
// resample cannot be fitted (e.g. an IsoFLOP parabola without an interior minimum).
using ResampleFit =
    std::function<std::optional<std::vector<double>>(const std::vector<size_t>& idx)>;

struct BootstrapOptions {
  int n_resamples = 1000;
  uint64_t seed = 0;
  double level = 0.95;
  int n_threads = 0;        // 0 = hardware concurrency
  std::vector<int> strata;  // optional group per point; resampling then stays within each group
};

struct BootstrapResult {
  std::vector<double> lo, hi;                // per constant
  std::vector<std::vector<double>> samples;  // successful resamples' constants
  int n_failed = 0;
};

// The resampled index sets depend only on (n, options.seed, strata), never on threads.
std::vector<std::vector<size_t>> resample_indices(size_t n, const BootstrapOptions& opts);

// Throws when fewer than 2 resamples could be fitted.
BootstrapResult bootstrap(size_t n_points, const ResampleFit& fit, const BootstrapOptions& opts);

// The general form: fit(i) for i = 0..n_tasks-1 over n_threads threads (0 = hardware
// concurrency), each task a resample the caller prepared (drawn beforehand, so the result does not
// depend on threads). nullopt or a non-finite constant counts as failed. lo and hi are empty when
// fewer than 2 tasks succeeded; it never throws for failed tasks.
using TaskFit = std::function<std::optional<std::vector<double>>(size_t task)>;
BootstrapResult bootstrap_tasks(size_t n_tasks, const TaskFit& fit, double level, int n_threads);

// The q-quantile of v (linear interpolation between order statistics, numpy's default).
double quantile(std::vector<double> v, double q);

}  // namespace scalelab
