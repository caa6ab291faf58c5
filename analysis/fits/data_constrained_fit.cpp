#include "analysis/fits/data_constrained_fit.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "analysis/fits/approach3.h"
#include "analysis/fits/fit_bootstrap.h"
#include "analysis/inputs/distinct.h"
#include "analysis/numerics/optimize.h"

namespace scalelab {

DataConstrainedProblem::DataConstrainedProblem(const std::vector<Point>& pts, double huber_delta)
    : delta(huber_delta) {
  for (const auto& p : pts) {
    const double u = DataConstrainedLaw::unique_seen(p.D, p.U);
    n.push_back(p.N);
    u_seen.push_back(u);
    log_n.push_back(std::log(p.N));
    log_d.push_back(std::log(p.D));
    log_u_seen.push_back(std::log(u));
    r_d.push_back(DataConstrainedLaw::repetitions(p.D, p.U));
    log_loss.push_back(std::log(p.loss));
  }
}

double DataConstrainedProblem::objective(const std::vector<double>& x, std::vector<double>& g,
                                         const std::vector<size_t>& idx) const {
  const double a = x[0], b = x[1], e = x[2], alpha = x[3], beta = x[4];
  const double sd = std::exp(x[5]), sn = std::exp(x[6]);
  std::fill(g.begin(), g.end(), 0.0);
  double f = 0;
  for (size_t i : idx) {
    // Effective data: D' = U_D (1 + s_d (1 - exp(-R_D / s_d))).
    const double ed = std::exp(-r_d[i] / sd);
    const double d_eff = u_seen[i] * (1.0 + sd * (1.0 - ed));
    // d log D' / d rd = s_d dD'/ds_d / D'
    const double dlogd_drd = sd * u_seen[i] * ((1.0 - ed) - (r_d[i] / sd) * ed) / d_eff;
    // Unique parameters: log N_opt(U_D) = (log alpha + a - log beta - b + beta log U_D) / alpha.
    const double u = (std::log(alpha) + a - std::log(beta) - b + beta * log_u_seen[i]) / alpha;
    double log_n_eff = log_n[i], dlogn_du = 0, dlogn_drn = 0;
    if (log_n[i] > u) {
      const double n_opt = std::exp(u), q = n[i] / n_opt, en = std::exp(-(q - 1.0) / sn);
      const double n_eff = n_opt * (1.0 + sn * (1.0 - en));
      log_n_eff = std::log(n_eff);
      dlogn_du = n_opt * (1.0 + sn * (1.0 - en) - q * en) / n_eff;
      dlogn_drn = sn * n_opt * ((1.0 - en) - ((q - 1.0) / sn) * en) / n_eff;
    }
    const double du_da = 1.0 / alpha, du_db = -1.0 / alpha, du_dalpha = (1.0 / alpha - u) / alpha,
                 du_dbeta = (-1.0 / beta + log_u_seen[i]) / alpha;
    const LogSumExp3 lse = log_sum_exp3(a - alpha * log_n_eff, b - beta * std::log(d_eff), e);
    const HuberTerm h = huber(lse.value - log_loss[i], delta);
    f += h.value;
    const double w1 = h.slope * lse.w1, w2 = h.slope * lse.w2, w3 = h.slope * lse.w3;
    const double k = alpha * dlogn_du;  // t1 = a - alpha log N'(u(...))
    g[0] += w1 * (1.0 - k * du_da);
    g[1] += w1 * (-k * du_db) + w2;
    g[2] += w3;
    g[3] += w1 * (-log_n_eff - k * du_dalpha);
    g[4] += w1 * (-k * du_dbeta) - w2 * std::log(d_eff);
    g[5] += -w2 * beta * dlogd_drd;
    g[6] += -w1 * alpha * dlogn_drn;
  }
  return f;
}

double DataConstrainedProblem::objective(const std::vector<double>& x,
                                         std::vector<double>& g) const {
  std::vector<size_t> all(log_n.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return objective(x, g, all);
}

DataConstrainedLaw data_constrained_from_x(const std::vector<double>& x) {
  DataConstrainedLaw law;
  law.base = law_from_x(x);
  law.R_D_star = std::exp(x[5]);
  law.R_N_star = std::exp(x[6]);
  return law;
}

std::vector<double> data_constrained_to_x(const DataConstrainedLaw& l) {
  return {std::log(l.base.A), std::log(l.base.B),   std::log(l.base.E),  l.base.alpha,
          l.base.beta,        std::log(l.R_D_star), std::log(l.R_N_star)};
}

namespace {

std::vector<double> constants(const DataConstrainedLaw& l) {
  return {l.R_D_star, l.R_N_star, l.base.E, l.base.A, l.base.B, l.base.alpha, l.base.beta};
}
const char* const kNames[] = {"R_D_star", "R_N_star", "E", "A", "B", "alpha", "beta"};

// Minimises over (rd, rn) only, the other five held at x_fixed.
Minimum minimize_r(const DataConstrainedProblem& prob, const std::vector<double>& x_fixed,
                   const std::vector<std::vector<double>>& starts, const std::vector<size_t>& idx,
                   int n_threads) {
  Objective f = [&](const std::vector<double>& r, std::vector<double>& g) {
    std::vector<double> x = x_fixed, gx(7);
    x[5] = r[0], x[6] = r[1];
    const double v = prob.objective(x, gx, idx);
    g[0] = gx[5], g[1] = gx[6];
    return v;
  };
  return minimize_multistart(f, starts, n_threads);
}

std::vector<std::vector<double>> r_grid() {
  const std::vector<double> rd = {std::log(1.0), std::log(3.0), std::log(10.0), std::log(30.0),
                                  std::log(100.0)},
                            rn = {std::log(1.0), std::log(3.0), std::log(10.0), std::log(30.0)};
  return grid({rd, rn});
}

}  // namespace

FitResult fit_data_constrained(const std::vector<Point>& pts, const FitOptions& opts,
                               const ChinchillaLaw* base, const std::string& fresh_fit) {
  const std::string name = "data-constrained";
  size_t missing = 0, repeating = 0;
  for (const auto& p : pts) {
    if (!(p.U > 0) || !std::isfinite(p.U))
      ++missing;
    else if (p.D > p.U)
      ++repeating;
  }
  if (missing > 0)
    throw std::runtime_error(name + ": " + std::to_string(missing) + " of " +
                             std::to_string(pts.size()) +
                             " points have no unique-token count U (CSV: --u-col; runs: "
                             "tags.unique_tokens)");
  if (repeating == 0)
    throw std::runtime_error(name +
                             ": no point repeats its data (every D <= U), so R_D* cannot be "
                             "fitted");
  const bool joint = base == nullptr;
  require_points(pts.size(), joint ? 8 : 3, name);
  const double delta = 1e-3;
  DataConstrainedProblem prob(pts, delta);
  std::vector<size_t> all(pts.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;

  FitResult fit;
  fit.law = LawId::data_constrained;
  std::vector<double> best_x;
  double best_f = 0;
  nlohmann::json init;
  if (!joint) {
    DataConstrainedLaw l;
    l.base = *base;
    std::vector<double> x = data_constrained_to_x(l);
    Minimum m = minimize_r(prob, x, r_grid(), all, opts.n_threads);
    x[5] = m.x[0], x[6] = m.x[1];
    best_x = x, best_f = m.f;
  } else {
    // 1. E, A, B, alpha, beta by approach 3 on the points that do not repeat (all points when
    //    they are too few); 2. R_D*, R_N* with those fixed; 3. all seven from there.
    std::vector<Point> fresh;
    for (const auto& p : pts)
      if (p.D <= p.U) fresh.push_back(p);
    std::vector<double> fn, fd;
    for (const auto& p : fresh) fn.push_back(p.N), fd.push_back(p.D);
    const bool use_fresh =
        count_distinct_nd(fresh) >= 6 && count_distinct(fn) >= 3 && count_distinct(fd) >= 3;
    Approach3Fit a3 = fit_approach3(use_fresh ? fresh : pts, delta, opts.n_threads);
    std::vector<double> x = a3.x;
    x.resize(7);
    Minimum mr = minimize_r(prob, x, r_grid(), all, opts.n_threads);
    x[5] = mr.x[0], x[6] = mr.x[1];
    std::vector<std::vector<double>> starts = {x};
    for (double da : {-1.0, 1.0})
      for (double dr : {-0.5, 0.5}) {
        auto s = x;
        s[0] += da, s[1] += da, s[5] += dr, s[6] += dr;
        starts.push_back(s);
      }
    Objective f = [&](const std::vector<double>& xx, std::vector<double>& g) {
      return prob.objective(xx, g, all);
    };
    Minimum m = minimize_multistart(f, starts, opts.n_threads);
    best_x = m.x, best_f = m.f;
    init = {{"base", use_fresh ? "approach 3 (4,500 starts) on the " +
                                     std::to_string(fresh.size()) + " points with D <= U"
                               : "approach 3 (4,500 starts) on all points (too few with D <= U)"},
            {"R", "R_D*, R_N* from 20 starts with the base fixed"},
            {"joint_starts", starts.size()}};
  }
  const DataConstrainedLaw best = data_constrained_from_x(best_x);
  const auto values = constants(best);
  for (size_t i = 0; i < values.size(); ++i) fit.params.push_back({kNames[i], values[i]});
  fit.procedure = {
      {"model",
       "L = E + A/N'^alpha + B/D'^beta, D' = U_D (1 + R_D* (1 - exp(-R_D/R_D*))), "
       "N' = U_N (1 + R_N* (1 - exp(-R_N/R_N*))), U_N = min(N, N_opt(U_D)) "
       "(Muennighoff et al. 2023)"},
      {"fitted",
       joint ? "jointly: E, A, B, alpha, beta, R_D*, R_N*"
             : "R_D*, R_N* only; E, A, B, alpha, beta fixed from the fresh-data fit " + fresh_fit},
      {"loss", "huber"},
      {"delta", delta},
      {"reduction", "sum"},
      {"optimizer", "L-BFGS (liblbfgs)"},
      {"objective", best_f}};
  if (joint)
    fit.procedure["init"] = init;
  else
    fit.procedure["fresh_fit"] = fresh_fit;
  size_t excess = 0;
  for (const auto& p : pts)
    if (p.N > best.optimal_params_for_tokens(DataConstrainedLaw::unique_seen(p.D, p.U))) ++excess;
  fit.data = {{"n_points", pts.size()},
              {"n_repeating", repeating},
              {"n_excess_params", excess},
              {"n_distinct_points", count_distinct_nd(pts)}};
  if (excess == 0)
    fit.notes.push_back(
        "no point has N above the Chinchilla-optimal N for its unique tokens: R_N* is not "
        "constrained by these data");
  if (opts.n_bootstrap > 0) {
    BootstrapSpec spec;
    spec.n_units = pts.size();
    spec.refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      std::vector<double> x = best_x;
      if (!joint) {
        Minimum m = minimize_r(prob, x, {{x[5], x[6]}, {x[5] - 1, x[6]}, {x[5] + 1, x[6]}}, idx, 1);
        x[5] = m.x[0], x[6] = m.x[1];
      } else {
        std::vector<std::vector<double>> starts = {best_x};
        for (double d : {-0.5, 0.5}) {
          auto s = best_x;
          s[0] += d, s[1] += d, s[5] += d;
          starts.push_back(s);
        }
        Objective f = [&](const std::vector<double>& xx, std::vector<double>& g) {
          return prob.objective(xx, g, idx);
        };
        x = minimize_multistart(f, starts, 1).x;
      }
      const auto c = constants(data_constrained_from_x(x));
      for (double v : c)
        if (!std::isfinite(v)) return std::nullopt;
      return c;
    };
    spec.check_wide = {"R_D_star", "R_N_star"};
    attach_bootstrap(fit, opts, spec);
    if (!joint)  // the base was not fitted here: no interval
      for (size_t i = 2; i < fit.params.size(); ++i) fit.params[i].lo = fit.params[i].hi = NAN;
  }
  return fit;
}

}  // namespace scalelab
