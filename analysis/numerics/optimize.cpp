#include "analysis/numerics/optimize.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <lbfgs.h>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

namespace scalelab {
namespace {

struct Instance {
  const Objective* f;
  std::vector<double> x, g;
  int evaluations = 0;
};

lbfgsfloatval_t evaluate(void* inst, const lbfgsfloatval_t* x, lbfgsfloatval_t* g, const int n,
                         const lbfgsfloatval_t) {
  auto* in = static_cast<Instance*>(inst);
  std::copy(x, x + n, in->x.begin());
  ++in->evaluations;
  double fx = (*in->f)(in->x, in->g);
  std::copy(in->g.begin(), in->g.end(), g);
  return fx;
}

}  // namespace

Minimum minimize_lbfgs(const Objective& f, std::vector<double> x0, int max_iterations) {
  const int n = static_cast<int>(x0.size());
  Instance inst{&f, x0, std::vector<double>(x0.size())};
  lbfgs_parameter_t param;
  lbfgs_parameter_init(&param);
  param.epsilon = 1e-10;  // gradient test; the delta test below usually stops first
  param.past = 3;
  param.delta = 1e-12;
  param.max_iterations = max_iterations;
  lbfgsfloatval_t* x = lbfgs_malloc(n);
  std::copy(x0.begin(), x0.end(), x);
  lbfgsfloatval_t fx = 0;
  int status = lbfgs(n, x, &fx, evaluate, nullptr, &inst, &param);
  Minimum m;
  m.x.assign(x, x + n);
  lbfgs_free(x);
  // liblbfgs reverts x but not always fx after a failed line search (rounding errors near the
  // optimum are normal), so the kept value is recomputed at the returned x.
  std::vector<double> g(x0.size());
  m.f = f(m.x, g);
  m.status = status;
  m.evaluations = inst.evaluations + 1;
  return m;
}

namespace {

// L-BFGS from every start, the starts split over n_threads threads (0 = hardware concurrency).
std::vector<Minimum> each_start(const Objective& f, const std::vector<std::vector<double>>& starts,
                                int n_threads, int max_iterations) {
  if (n_threads <= 0) n_threads = std::max(1u, std::thread::hardware_concurrency());
  n_threads = std::min<int>(n_threads, static_cast<int>(starts.size()));
  std::vector<Minimum> results(starts.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < starts.size();)
      results[i] = minimize_lbfgs(f, starts[i], max_iterations);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return results;
}

// Lowest objective, ties to the earliest start, so the answer is independent of scheduling.
Minimum lowest(const std::vector<Minimum>& results) {
  size_t best = results.size();
  for (size_t i = 0; i < results.size(); ++i)
    if (std::isfinite(results[i].f) && (best == results.size() || results[i].f < results[best].f))
      best = i;
  if (best == results.size())
    throw std::runtime_error("every L-BFGS start gave a non-finite objective");
  return results[best];
}

int total_evaluations(const std::vector<Minimum>& results) {
  int n = 0;
  for (const auto& r : results) n += r.evaluations;
  return n;
}

}  // namespace

Minimum minimize_multistart(const Objective& f, const std::vector<std::vector<double>>& starts,
                            int n_threads, int max_iterations) {
  if (starts.empty()) throw std::runtime_error("minimize_multistart: no starting points");
  return lowest(each_start(f, starts, n_threads, max_iterations));
}

Minimum minimize_screened(const Objective& f, const std::vector<std::vector<double>>& starts,
                          int screen_iterations, size_t keep, int n_threads) {
  if (starts.empty()) throw std::runtime_error("minimize_screened: no starting points");
  const std::vector<Minimum> screened = each_start(f, starts, n_threads, screen_iterations);
  std::vector<size_t> order(screened.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto lower = [&](size_t a, size_t b) {
    const bool fa = std::isfinite(screened[a].f), fb = std::isfinite(screened[b].f);
    return fa != fb ? fa : fa && screened[a].f < screened[b].f;
  };
  std::stable_sort(order.begin(), order.end(), lower);
  order.resize(std::min(keep, order.size()));
  std::sort(order.begin(), order.end());  // the kept starts in their original order
  std::vector<std::vector<double>> best;
  for (size_t i : order) best.push_back(screened[i].x);
  const std::vector<Minimum> polished = each_start(f, best, n_threads, kMaxLbfgsIterations);
  Minimum m = lowest(polished);
  m.evaluations = total_evaluations(screened) + total_evaluations(polished);
  return m;
}

std::vector<std::vector<double>> grid(const std::vector<std::vector<double>>& axes) {
  std::vector<std::vector<double>> out{{}};
  for (const auto& axis : axes) {
    std::vector<std::vector<double>> next;
    for (const auto& prefix : out)
      for (double v : axis) {
        next.push_back(prefix);
        next.back().push_back(v);
      }
    out = std::move(next);
  }
  return out;
}

std::vector<double> least_squares(const std::vector<std::vector<double>>& X,
                                  const std::vector<double>& y, const char* what) {
  const size_t n = y.size(), p = X.empty() ? 0 : X[0].size();
  if (n < p) throw std::runtime_error(std::string(what) + ": too few points for the fit");
  // Normal equations (X^T X) c = X^T y solved by Gaussian elimination with partial pivoting;
  // p <= 3 here and callers centre their regressors, so conditioning is fine.
  std::vector<std::vector<double>> A(p, std::vector<double>(p + 1, 0.0));
  for (size_t i = 0; i < n; ++i)
    for (size_t r = 0; r < p; ++r) {
      for (size_t c = 0; c < p; ++c) A[r][c] += X[i][r] * X[i][c];
      A[r][p] += X[i][r] * y[i];
    }
  double scale = 0;
  for (size_t r = 0; r < p; ++r) scale = std::max(scale, std::abs(A[r][r]));
  for (size_t c = 0; c < p; ++c) {
    size_t piv = c;
    for (size_t r = c + 1; r < p; ++r)
      if (std::abs(A[r][c]) > std::abs(A[piv][c])) piv = r;
    if (std::abs(A[piv][c]) <= 1e-12 * scale)
      throw std::runtime_error(std::string(what) +
                               ": the points do not determine the fit (all regressors equal?)");
    std::swap(A[c], A[piv]);
    for (size_t r = 0; r < p; ++r) {
      if (r == c) continue;
      double m = A[r][c] / A[c][c];
      for (size_t k = c; k <= p; ++k) A[r][k] -= m * A[c][k];
    }
  }
  std::vector<double> coef(p);
  for (size_t r = 0; r < p; ++r) coef[r] = A[r][p] / A[r][r];
  return coef;
}

double PowerLaw::operator()(double x) const {
  return k * std::pow(x, p);
}

PowerLaw fit_power_law(const std::vector<double>& x, const std::vector<double>& y,
                       const char* what) {
  if (x.size() < 2) throw std::runtime_error(std::string(what) + ": needs at least 2 points");
  double mx = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] > 0) || !(y[i] > 0))
      throw std::runtime_error(std::string(what) + ": power law needs positive values");
    mx += std::log(x[i]) / x.size();
  }
  std::vector<std::vector<double>> X;
  std::vector<double> ly;
  for (size_t i = 0; i < x.size(); ++i) {
    X.push_back({1.0, std::log(x[i]) - mx});
    ly.push_back(std::log(y[i]));
  }
  auto c = least_squares(X, ly, what);
  return {std::exp(c[0] - c[1] * mx), c[1]};
}

LogSumExp3 log_sum_exp3(double t1, double t2, double t3) {
  const double m = std::max({t1, t2, t3});
  const double e1 = std::exp(t1 - m), e2 = std::exp(t2 - m), e3 = std::exp(t3 - m);
  const double s = e1 + e2 + e3;
  return {m + std::log(s), e1 / s, e2 / s, e3 / s};
}

double golden_section_min(const std::function<double(double)>& f, double lo, double hi,
                          double tolerance) {
  const double g = (std::sqrt(5.0) - 1) / 2;
  double a = hi - g * (hi - lo), b = lo + g * (hi - lo), fa = f(a), fb = f(b);
  for (int i = 0; i < 200 && hi - lo > tolerance; ++i) {
    if (fa < fb) {
      hi = b, b = a, fb = fa, a = hi - g * (hi - lo), fa = f(a);
    } else {
      lo = a, a = b, fa = fb, b = lo + g * (hi - lo), fb = f(b);
    }
  }
  return (lo + hi) / 2;
}

}  // namespace scalelab
