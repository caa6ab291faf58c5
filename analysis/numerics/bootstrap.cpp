#include "analysis/numerics/bootstrap.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>

namespace scalelab {

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  double pos = q * (v.size() - 1);
  size_t i = static_cast<size_t>(std::floor(pos));
  if (i + 1 >= v.size()) return v.back();
  return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

std::vector<std::vector<size_t>> resample_indices(size_t n, const BootstrapOptions& opts) {
  if (!opts.strata.empty() && opts.strata.size() != n)
    throw std::runtime_error("bootstrap: strata must give one group per point");
  std::map<int, std::vector<size_t>> groups;
  for (size_t i = 0; i < n; ++i) groups[opts.strata.empty() ? 0 : opts.strata[i]].push_back(i);
  std::mt19937_64 rng(opts.seed);
  std::vector<std::vector<size_t>> out(opts.n_resamples);
  for (auto& idx : out) {
    idx.reserve(n);
    for (const auto& [g, members] : groups) {
      // Drawn with rng() % size: std::uniform_int_distribution's output differs across standard
      // libraries, and the bias of % for a few hundred points is below 1e-16.
      for (size_t k = 0; k < members.size(); ++k) idx.push_back(members[rng() % members.size()]);
    }
  }
  return out;
}

BootstrapResult bootstrap_tasks(size_t n_tasks, const TaskFit& fit, double level, int n_threads) {
  std::vector<std::optional<std::vector<double>>> results(n_tasks);
  if (n_threads <= 0) n_threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < n_tasks;) results[i] = fit(i);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  BootstrapResult out;
  for (auto& r : results) {
    if (r && std::all_of(r->begin(), r->end(), [](double v) { return std::isfinite(v); }))
      out.samples.push_back(std::move(*r));
    else
      ++out.n_failed;
  }
  if (out.samples.size() < 2) return out;
  const size_t k = out.samples[0].size();
  const double tail = (1 - level) / 2;
  for (size_t j = 0; j < k; ++j) {
    std::vector<double> col;
    for (const auto& s : out.samples) col.push_back(s[j]);
    out.lo.push_back(quantile(col, tail));
    out.hi.push_back(quantile(col, 1 - tail));
  }
  return out;
}

BootstrapResult bootstrap(size_t n_points, const ResampleFit& fit, const BootstrapOptions& opts) {
  if (opts.n_resamples < 2) throw std::runtime_error("--bootstrap must be at least 2 resamples");
  const auto sets = resample_indices(n_points, opts);
  BootstrapResult out = bootstrap_tasks(
      sets.size(), [&](size_t i) { return fit(sets[i]); }, opts.level, opts.n_threads);
  if (out.samples.size() < 2)
    throw std::runtime_error("bootstrap: " + std::to_string(out.n_failed) + " of " +
                             std::to_string(sets.size()) + " resamples could not be fitted");
  return out;
}

}  // namespace scalelab
