#include "analysis/fits/approach3.h"

#include <algorithm>
#include <cmath>

#include "analysis/fits/fit_bootstrap.h"
#include "analysis/inputs/distinct.h"
#include "analysis/numerics/optimize.h"

namespace scalelab {

Approach3Problem::Approach3Problem(const std::vector<Point>& pts, double huber_delta)
    : delta(huber_delta) {
  for (const auto& p : pts) {
    log_n.push_back(std::log(p.N));
    log_d.push_back(std::log(p.D));
    log_loss.push_back(std::log(p.loss));
  }
}

double Approach3Problem::objective(const std::vector<double>& x, std::vector<double>& g,
                                   const std::vector<size_t>& idx) const {
  const double a = x[0], b = x[1], e = x[2], alpha = x[3], beta = x[4];
  std::fill(g.begin(), g.end(), 0.0);
  double f = 0;
  for (size_t i : idx) {
    const LogSumExp3 lse = log_sum_exp3(a - alpha * log_n[i], b - beta * log_d[i], e);
    const HuberTerm h = huber(lse.value - log_loss[i], delta);
    f += h.value;
    const double psi = h.slope, w1 = lse.w1, w2 = lse.w2, w3 = lse.w3;
    g[0] += psi * w1;
    g[1] += psi * w2;
    g[2] += psi * w3;
    g[3] -= psi * w1 * log_n[i];
    g[4] -= psi * w2 * log_d[i];
  }
  return f;
}

double Approach3Problem::objective(const std::vector<double>& x, std::vector<double>& g) const {
  std::vector<size_t> all(log_n.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return objective(x, g, all);
}

std::vector<std::vector<double>> approach3_grid() {
  const std::vector<double> exps = {0, 0.5, 1, 1.5, 2}, es = {-1, -0.5, 0, 0.5, 1},
                            abs_ = {0, 5, 10, 15, 20, 25};
  return grid({abs_, abs_, es, exps, exps});  // (a, b, e, alpha, beta): 6*6*5*5*5 = 4,500
}

ChinchillaLaw law_from_x(const std::vector<double>& x) {
  return {std::exp(x[2]), std::exp(x[0]), std::exp(x[1]), x[3], x[4]};
}

void require_approach3_points(const std::vector<Point>& pts) {
  const std::string law = "chinchilla approach 3 (5 constants)";
  require_distinct(count_distinct_nd(pts), pts.size(), 6, law, "(N, D) points");
  // E + A/N^alpha over two sizes is two numbers for three unknowns: A and alpha (and B, beta over
  // D) are pinned down only by three distinct values each.
  std::vector<double> n, d;
  for (const auto& p : pts) n.push_back(p.N), d.push_back(p.D);
  require_distinct(count_distinct(n), n.size(), 3, law, "model sizes N");
  require_distinct(count_distinct(d), d.size(), 3, law, "token counts D");
}

Approach3Fit fit_approach3(const std::vector<Point>& pts, double huber_delta, int n_threads) {
  require_approach3_points(pts);
  Approach3Problem prob(pts, huber_delta);
  Objective f = [&](const std::vector<double>& x, std::vector<double>& g) {
    return prob.objective(x, g);
  };
  Minimum m = minimize_multistart(f, approach3_grid(), n_threads);
  return {law_from_x(m.x), m.x, m.f};
}

std::vector<double> approach3_constants(const ChinchillaLaw& l) {
  const double a = l.beta / (l.alpha + l.beta), b = l.alpha / (l.alpha + l.beta);
  const double G = std::pow(l.alpha * l.A / (l.beta * l.B), 1.0 / (l.alpha + l.beta));
  return {l.E, l.A, l.B, l.alpha, l.beta, a, b, G};
}

FitResult chinchilla_approach3(const std::vector<Point>& pts, const FitOptions& opts) {
  if (opts.approach3_method == Approach3Method::varpro)
    return chinchilla_approach3_varpro(pts, opts);
  const double delta = 1e-3;
  Approach3Fit best = fit_approach3(pts, delta, opts.n_threads);
  FitResult fit;
  fit.law = LawId::chinchilla_approach3;
  const auto values = approach3_constants(best.law);
  const char* names[] = {"E", "A", "B", "alpha", "beta", "a", "b", "G"};
  for (size_t i = 0; i < values.size(); ++i) fit.params.push_back({names[i], values[i]});
  fit.procedure = {
      {"model",
       "L = E + A/N^alpha + B/D^beta, log L_hat = LSE(a - alpha log N, b - beta log D, e)"},
      {"loss", "huber"},
      {"delta", delta},
      {"reduction", "sum"},
      {"optimizer", "L-BFGS (liblbfgs)"},
      {"method", "grid"},
      {"init_grid",
       "alpha, beta in {0..2 step 0.5}; e in {-1..1 step 0.5}; a, b in {0..25 step 5}"},
      {"n_starts", 4500},
      {"objective", best.objective},
      {"derived", "a = beta/(alpha+beta), b = alpha/(alpha+beta), N_opt = G (C/6)^a"}};
  fit.data = {{"n_points", pts.size()}, {"n_distinct_points", count_distinct_nd(pts)}};
  BootstrapSpec spec;
  const Approach3Problem prob(pts, delta);
  std::vector<std::vector<double>> starts;
  if (opts.n_bootstrap > 0) {
    // Resample optima lie near the full-data optimum; a few spread starts guard against a resample
    // whose valley moved.
    starts = grid({{best.x[0] - 1, best.x[0] + 1},
                   {best.x[1] - 1, best.x[1] + 1},
                   {best.x[2]},
                   {best.x[3] * 0.8, best.x[3] * 1.25},
                   {best.x[4]}});
    starts.insert(starts.begin(), best.x);
    spec.n_units = pts.size();
    spec.refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      Objective f = [&](const std::vector<double>& x, std::vector<double>& g) {
        return prob.objective(x, g, idx);
      };
      Minimum m = minimize_multistart(f, starts, 1);
      return approach3_constants(law_from_x(m.x));
    };
    spec.procedure = {{"resample_starts", starts.size()}};
    spec.check_wide = {"alpha", "beta", "a"};
  }
  attach_bootstrap(fit, opts, spec);
  return fit;
}

}  // namespace scalelab
