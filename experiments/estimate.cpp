#include "experiments/estimate.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <stdexcept>

#include "common/log.h"

namespace scalelab::sweep {

double cost_per_token(const Run& r) {
  return training_flops_per_token(r.config.model, FlopConvention::chinchilla);
}

Throughput fit_throughput(const std::vector<RatePoint>& points) {
  if (points.empty()) throw std::invalid_argument("fit_throughput: no measured rate");
  // y = a + b x with x = ln(FLOPs per token), y = ln(FLOP rate): ordinary least squares.
  double sx = 0, sy = 0, min_f = std::numeric_limits<double>::infinity(), max_f = 0;
  for (const auto& p : points) {
    sx += std::log(p.flops_per_token);
    sy += std::log(p.tokens_per_s * p.flops_per_token);
    min_f = std::min(min_f, p.flops_per_token);
    max_f = std::max(max_f, p.flops_per_token);
  }
  const double n = double(points.size()), mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0;
  for (const auto& p : points) {
    const double dx = std::log(p.flops_per_token) - mx;
    sxx += dx * dx;
    sxy += dx * (std::log(p.tokens_per_s * p.flops_per_token) - my);
  }
  const double slope = sxx > 0 ? sxy / sxx : 0;
  auto log_rate = [&](double x) { return my + slope * (x - mx); };
  double ss = 0;
  for (const auto& p : points) {
    const double x = std::log(p.flops_per_token);
    const double r = std::log(p.tokens_per_s * p.flops_per_token) - log_rate(x);
    ss += r * r;
  }
  Throughput t;
  t.small_flops_per_token = min_f;
  t.large_flops_per_token = max_f;
  t.small_tokens_per_s = std::exp(log_rate(std::log(min_f))) / min_f;
  t.large_tokens_per_s = std::exp(log_rate(std::log(max_f))) / max_f;
  // Two parameters fitted: the residuals of two points (or of one size's points, one fitted)
  // say nothing of the scatter.
  const double dof = n - (sxx > 0 ? 2 : 1);
  t.spread = dof > 0 ? std::sqrt(ss / dof) : 0;
  return t;
}

Throughput given_throughput(const std::vector<Run>& runs, double tokens_per_s) {
  auto by_cost = [](const Run& a, const Run& b) { return cost_per_token(a) < cost_per_token(b); };
  const Run& small = *std::min_element(runs.begin(), runs.end(), by_cost);
  Throughput t;
  t.small_flops_per_token = t.large_flops_per_token = cost_per_token(small);
  t.small_tokens_per_s = t.large_tokens_per_s = tokens_per_s;
  t.source = log::format("--tokens-per-s %.0f on %s, the same FLOP rate for every size",
                         tokens_per_s, small.name.c_str());
  return t;
}

double estimate_seconds(const Run& r, const Throughput& t) {
  const double f = cost_per_token(r);
  const double rate_small = t.small_tokens_per_s * t.small_flops_per_token;
  const double rate_large = t.large_tokens_per_s * t.large_flops_per_token;
  double rate = rate_small;
  if (t.large_flops_per_token > t.small_flops_per_token) {
    const double x = std::clamp(std::log(f / t.small_flops_per_token) /
                                    std::log(t.large_flops_per_token / t.small_flops_per_token),
                                0.0, 1.0);
    rate = std::exp(std::log(rate_small) + x * (std::log(rate_large) - std::log(rate_small)));
  }
  const double own_tokens =
      r.steps > 0 ? r.tokens * double(r.own_steps()) / double(r.steps) : r.tokens;
  double eval_tokens = 0;
  if (!t.includes_evals) {  // forward only: about a third of a training token's work
    const auto& c = r.config;
    const double evals = (c.eval.every > 0 ? double(r.steps / c.eval.every) : 0) + 1;
    eval_tokens = evals * c.eval.n_batches *
                  double(c.eval.batch_size > 0 ? c.eval.batch_size : c.train.batch_size) *
                  double(c.model.block_size) / 3;
  }
  return (own_tokens + eval_tokens) * f / rate + t.startup_s;
}

double makespan_seconds(const std::vector<PlannedRun>& runs, int parallel) {
  std::priority_queue<double, std::vector<double>, std::greater<double>> free_at;
  std::vector<double> end(runs.size(), 0);
  for (size_t i = 0; i < runs.size(); ++i)
    if (runs[i].running) free_at.push(end[i] = std::max(0.0, runs[i].seconds));
  while (int(free_at.size()) < std::max(1, parallel)) free_at.push(0);
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].running) continue;
    const double ready = runs[i].after >= 0 ? end[size_t(runs[i].after)] : 0;
    const double slot = free_at.top();
    free_at.pop();
    end[i] = std::max(slot, ready) + runs[i].seconds;
    free_at.push(end[i]);
  }
  double last = 0;
  for (double e : end) last = std::max(last, e);
  return last;
}

}  // namespace scalelab::sweep
