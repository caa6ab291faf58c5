#include "analysis/fits/kaplan_fit.h"

#include <algorithm>
#include <cmath>

#include "analysis/fits/fit_bootstrap.h"
#include "analysis/inputs/distinct.h"
#include "analysis/numerics/optimize.h"

namespace scalelab {
namespace {

// y = (Xc / x)^alpha from a log-log OLS y = k x^p: alpha = -p, Xc = k^(1/alpha).
std::vector<double> inverse_power(const std::vector<double>& x, const std::vector<double>& y,
                                  const char* what) {
  PowerLaw pl = fit_power_law(x, y, what);
  const double alpha = -pl.p;
  return {std::pow(pl.k, 1.0 / alpha), alpha};
}

FitResult one_variable(LawId law, const char* xc, const char* alpha, const std::vector<double>& x,
                       const std::vector<double>& y, const FitOptions& opts, const char* what) {
  require_distinct(count_distinct(x), x.size(), 3, what, "x values");
  FitResult fit;
  fit.law = law;
  auto v = inverse_power(x, y, what);
  fit.params = {{xc, v[0]}, {alpha, v[1]}};
  fit.procedure = {{"model", std::string("L = (") + xc + "/x)^" + alpha},
                   {"loss", "least squares in log-log"}};
  fit.data = {{"n_points", x.size()}, {"x", x}, {"loss", y}};
  if (opts.n_bootstrap > 0) {
    BootstrapSpec spec;
    spec.n_units = x.size();
    spec.refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      std::vector<double> xs, ys;
      for (size_t i : idx) xs.push_back(x[i]), ys.push_back(y[i]);
      try {
        return inverse_power(xs, ys, what);
      } catch (const std::runtime_error&) {
        return std::nullopt;  // every resampled x equal
      }
    };
    spec.check_wide = {alpha};
    spec.failure = "had every x equal";
    attach_bootstrap(fit, opts, spec);
  }
  return fit;
}

}  // namespace

FitResult fit_kaplan_n(const std::vector<Point>& pts, const FitOptions& opts) {
  std::vector<double> x, y;
  for (const auto& p : lower_envelope_by(pts, true)) x.push_back(p.N), y.push_back(p.loss);
  if (x.size() < 3)
    throw std::runtime_error("kaplan L(N): needs at least 3 model sizes, got " +
                             std::to_string(x.size()));
  return one_variable(LawId::kaplan_n, "Nc", "alpha_N", x, y, opts, "kaplan L(N)");
}

FitResult fit_kaplan_d(const std::vector<Point>& pts, const FitOptions& opts) {
  std::vector<double> x, y;
  for (const auto& p : lower_envelope_by(pts, false)) x.push_back(p.D), y.push_back(p.loss);
  if (x.size() < 3)
    throw std::runtime_error("kaplan L(D): needs at least 3 token counts, got " +
                             std::to_string(x.size()));
  return one_variable(LawId::kaplan_d, "Dc", "alpha_D", x, y, opts, "kaplan L(D)");
}

FitResult fit_kaplan_c(const std::vector<Point>& pts, const std::vector<Run>& runs,
                       ParamCount count, const FitOptions& opts) {
  auto front = runs.empty() ? point_frontier(pts) : curve_frontier(runs, count);
  std::vector<double> x, y;
  for (const auto& f : front) x.push_back(f.C), y.push_back(f.loss);
  const size_t n_c = count_distinct(x);  // two final points of equal C are one frontier point
  if (n_c < 3)
    throw std::runtime_error("kaplan L(C): the compute frontier has " + std::to_string(n_c) +
                             " distinct C values" +
                             (n_c != x.size() ? " (" + std::to_string(x.size()) + " points)" : "") +
                             "; needs at least 3");
  FitResult fit = one_variable(LawId::kaplan_c, "Cc", "alpha_C", x, y, opts, "kaplan L(C)");
  fit.procedure["frontier"] =
      runs.empty() ? "final points (Pareto front over C)" : "lower envelope of training curves";
  return fit;
}

namespace {

// x = (u, v, r, aD): Nc = e^u, Dc = e^v, alpha_N = r aD, so log L = aD LSE(r (u - log N), v - log
// D).
struct KaplanNDProblem {
  std::vector<double> ln, ld, ll;
  double delta = 1e-3;
  double objective(const std::vector<double>& x, std::vector<double>& g,
                   const std::vector<size_t>& idx) const {
    const double u = x[0], v = x[1], r = x[2], aD = x[3];
    std::fill(g.begin(), g.end(), 0.0);
    double f = 0;
    for (size_t i : idx) {
      const double s1 = r * (u - ln[i]), s2 = v - ld[i], m = std::max(s1, s2);
      const double e1 = std::exp(s1 - m), e2 = std::exp(s2 - m), S = m + std::log(e1 + e2);
      const double w1 = e1 / (e1 + e2), w2 = e2 / (e1 + e2);
      const double res = aD * S - ll[i];
      const HuberTerm h = huber(res, delta);
      f += h.value;
      const double psi = h.slope;
      g[0] += psi * aD * w1 * r;
      g[1] += psi * aD * w2;
      g[2] += psi * aD * w1 * (u - ln[i]);
      g[3] += psi * S;
    }
    return f;
  }
};

std::vector<double> kaplan_constants(const std::vector<double>& x) {
  return {std::exp(x[0]), x[2] * x[3], std::exp(x[1]), x[3]};  // Nc, alpha_N, Dc, alpha_D
}

}  // namespace

FitResult fit_kaplan_nd(const std::vector<Point>& pts, const FitOptions& opts) {
  const std::string law = "kaplan L(N, D) (4 constants)";
  require_distinct(count_distinct_nd(pts), pts.size(), 5, law, "(N, D) points");
  // With one N, Nc and alpha_N merge into one constant (likewise Dc with one D).
  std::vector<double> n, d;
  for (const auto& p : pts) n.push_back(p.N), d.push_back(p.D);
  require_distinct(count_distinct(n), n.size(), 2, law, "model sizes N");
  require_distinct(count_distinct(d), d.size(), 2, law, "token counts D");
  KaplanNDProblem prob;
  for (const auto& p : pts)
    prob.ln.push_back(std::log(p.N)), prob.ld.push_back(std::log(p.D)),
        prob.ll.push_back(std::log(p.loss));
  std::vector<size_t> all(pts.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto starts =
      grid({{15, 20, 25, 30, 35}, {15, 20, 25, 30, 35}, {0.5, 0.8, 1.2}, {0.05, 0.1, 0.2, 0.4}});
  Objective f = [&](const std::vector<double>& x, std::vector<double>& g) {
    return prob.objective(x, g, all);
  };
  Minimum best = minimize_multistart(f, starts, opts.n_threads);
  FitResult fit;
  fit.law = LawId::kaplan_nd;
  auto c = kaplan_constants(best.x);
  fit.params = {{"Nc", c[0]}, {"alpha_N", c[1]}, {"Dc", c[2]}, {"alpha_D", c[3]}};
  fit.procedure = {{"model", "L = [(Nc/N)^(alpha_N/alpha_D) + Dc/D]^alpha_D"},
                   {"loss", "huber"},
                   {"delta", prob.delta},
                   {"reduction", "sum"},
                   {"space", "log L"},
                   {"optimizer", "L-BFGS (liblbfgs)"},
                   {"n_starts", starts.size()},
                   {"objective", best.f}};
  fit.data = {{"n_points", pts.size()}, {"n_distinct_points", count_distinct_nd(pts)}};
  if (opts.n_bootstrap > 0) {
    std::vector<std::vector<double>> rs = {best.x};
    for (double du : {-2.0, 2.0})
      rs.push_back({best.x[0] + du, best.x[1] + du, best.x[2], best.x[3]});
    BootstrapSpec spec;
    spec.n_units = pts.size();
    spec.refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      Objective fr = [&](const std::vector<double>& x, std::vector<double>& g) {
        return prob.objective(x, g, idx);
      };
      return kaplan_constants(minimize_multistart(fr, rs, 1).x);
    };
    spec.check_wide = {"alpha_N", "alpha_D"};
    attach_bootstrap(fit, opts, spec);
  }
  return fit;
}

}  // namespace scalelab
