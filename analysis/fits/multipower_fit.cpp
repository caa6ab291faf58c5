#include "analysis/fits/multipower_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "analysis/fits/fit_bootstrap.h"
#include "analysis/inputs/points.h"
#include "analysis/numerics/optimize.h"

namespace scalelab {

MultiPowerProblem::MultiPowerProblem(const std::vector<LossCurve>& curves, double delta,
                                     const MultiPowerSum& sum)
    : data_(curves), delta_(delta) {
  for (const auto& c : data_) evals_.emplace_back(c.lr, c.steps, sum);
}

MultiPowerLaw MultiPowerProblem::law_from_x(const std::vector<double>& x) {
  return {x[0], std::exp(x[1]), x[2], std::exp(x[3]), std::exp(x[4]), x[5], x[6]};
}
std::vector<double> MultiPowerProblem::x_from_law(const MultiPowerLaw& l) {
  return {l.L0, std::log(l.A), l.alpha, std::log(l.B), std::log(l.C), l.beta, l.gamma};
}

double MultiPowerProblem::objective(const std::vector<double>& x, std::vector<double>& g,
                                    const std::vector<std::vector<double>>* weights) const {
  const MultiPowerLaw law = law_from_x(x);
  std::fill(g.begin(), g.end(), 0.0);
  double f = 0;
  std::vector<double> pred;
  std::vector<std::array<double, MultiPowerLaw::kParams>> grad;
  std::array<double, MultiPowerLaw::kParams> acc{};
  for (size_t c = 0; c < evals_.size(); ++c) {
    evals_[c].evaluate(law, pred, &grad);
    for (size_t i = 0; i < pred.size(); ++i) {
      const double w = weights ? (*weights)[c][i] : 1.0;
      if (w == 0) continue;
      if (!(pred[i] > 0) || !std::isfinite(pred[i])) {
        std::fill(g.begin(), g.end(), 0.0);
        return 1e30;  // outside the law's domain: the line search backs off
      }
      const double r = std::log(pred[i]) - std::log(data_[c].loss[i]);
      const HuberTerm h = huber(r, delta_);
      f += w * h.value;
      const double s = w * h.slope / pred[i];
      for (int k = 0; k < MultiPowerLaw::kParams; ++k) acc[k] += s * grad[i][k];
    }
  }
  // Chain rule to x = (L0, log A, alpha, log B, log C, beta, gamma).
  g[0] = acc[0];
  g[1] = acc[1] * law.A;
  g[2] = acc[2];
  g[3] = acc[3] * law.B;
  g[4] = acc[4] * law.C;
  g[5] = acc[5];
  g[6] = acc[6];
  return std::isfinite(f) ? f : 1e30;
}

std::vector<std::vector<double>> MultiPowerProblem::starts() const {
  double lmin = HUGE_VAL, lr_max = 0;
  size_t first = data_.size();
  for (size_t c = 0; c < data_.size(); ++c) {
    const auto& d = data_[c];
    for (double l : d.loss) lmin = std::min(lmin, l);
    for (double v : d.lr) lr_max = std::max(lr_max, v);
    if (!d.steps.empty() && (first == data_.size() || d.steps[0] < data_[first].steps[0]))
      first = c;
  }
  if (first == data_.size()) throw std::runtime_error("multipower: no points after the warmup");
  const double l_first = data_[first].loss.front();
  std::vector<std::vector<double>> out;
  // 8 starts: alpha x the size of the decay's loss drop x (C, beta, gamma) low or high. The
  // objective's valleys are long (B beta trades against beta), so each start costs ~1000
  // evaluations; more starts found no lower minimum on the published curves.
  const double l0f = 0.9;
  for (double alpha : {0.3, 0.6})
    for (double drop : {0.03, 0.3})  // loss drop of a full decay from the peak lr: B = drop / lr
      for (const auto& [C, beta, gamma] : {std::array<double, 3>{0.5, 0.3, 0.3}, {4.0, 0.7, 0.7}}) {
        // The warmup's rising lr adds about B lr_peak to the loss, so L0 starts that much below
        // the floor; A then matches the earliest point.
        MultiPowerLaw law{l0f * lmin - drop, 0, alpha, drop / lr_max, C, beta, gamma};
        const double rest = l_first - evals_[first].predict(law).front();
        law.A = 1;
        law.L0 = 0;
        law.B = 0;
        const double zpow = evals_[first].predict(law).front();  // Z^-alpha
        law = {
            l0f * lmin - drop, std::max(rest, 1e-3) / zpow, alpha, drop / lr_max, C, beta, gamma};
        out.push_back(x_from_law(law));
      }
  return out;
}

namespace {

void require_fittable(const std::vector<LossCurve>& curves) {
  size_t n = 0;
  bool decays = false;
  for (const auto& c : curves) {
    n += c.steps.size();
    for (size_t s = std::max<int64_t>(c.warmup, 1); s < c.lr.size(); ++s)
      if (c.lr[s] != c.lr[s - 1]) decays = true;
  }
  if (curves.empty()) throw std::runtime_error("multipower: no curves");
  require_points(n, 8, "multipower");
  if (!decays)
    throw std::runtime_error(
        "multipower: no curve's lr changes after the warmup, so B, C, beta and gamma are not "
        "determined (add a curve with a decay)");
}

std::string g4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// The law's loss falls at every step (A (S1 + S_W)^-alpha falls, every decay lowers it), so
// curves whose loss does not fall carry nothing it can fit: said before any fitting (two flat
// curves once took 48 s, then failed in gnuplot; a rising one was fitted with beta = -0.63).
void require_falling(const std::vector<LossCurve>& curves) {
  double lo = HUGE_VAL, hi = -HUGE_VAL;
  for (const auto& c : curves)
    for (double l : c.loss) lo = std::min(lo, l), hi = std::max(hi, l);
  if (hi - lo <= 1e-12 * std::abs(hi))
    throw std::runtime_error("multipower: every point of every curve has the same loss (" + g4(hi) +
                             "): nothing for the law to fit; not identified, nothing fitted");
  for (const auto& c : curves) {
    const size_t n = c.loss.size(), q = std::max<size_t>(1, n / 4);
    if (n < 2) continue;
    double first = 0, last = 0;
    for (size_t i = 0; i < q; ++i) first += c.loss[i] / q, last += c.loss[n - q + i] / q;
    if (!(last < first))
      throw std::runtime_error("multipower: the loss of curve " + c.name +
                               " does not fall (mean of its first " + std::to_string(q) +
                               " point(s) " + g4(first) + ", of its last " + std::to_string(q) +
                               " " + g4(last) +
                               "); the law describes losses that fall as training goes on; not "
                               "identified, nothing fitted");
  }
}

// Every start runs kScreenIterations L-BFGS iterations; the kPolished lowest go on to convergence.
// On the published curves most starts reach the same minimum and a start's rank after 20
// iterations already tells which do, but at 25M the lowest after 50 iterations once was not the
// best minimum: two go on.
constexpr int kScreenIterations = 20;
constexpr size_t kPolished = 2;

}  // namespace

MultiPowerFit fit_multipower_law(const std::vector<LossCurve>& curves, int n_threads) {
  require_fittable(curves);
  require_falling(curves);
  MultiPowerProblem prob(curves);
  Objective f = [&](const std::vector<double>& x, std::vector<double>& g) {
    return prob.objective(x, g);
  };
  const auto starts = prob.starts();
  Minimum m = minimize_screened(f, starts, kScreenIterations, kPolished, n_threads);
  return {MultiPowerProblem::law_from_x(m.x), m.f, starts.size(), m.evaluations};
}

FitResult fit_multipower(const std::vector<LossCurve>& curves, const FitOptions& opts) {
  const double delta = 1e-3;
  MultiPowerFit best = fit_multipower_law(curves, opts.n_threads);
  FitResult fit;
  fit.law = LawId::multipower;
  const auto v = best.law.values();
  for (int i = 0; i < MultiPowerLaw::kParams; ++i)
    fit.params.push_back({MultiPowerLaw::names[i], v[i]});
  const MultiPowerSum sum;
  fit.procedure = {
      {"model",
       "L(t) = L0 + A (S1(t) + S_W)^-alpha - B sum_{k=1..t} (lr_{k-1} - lr_k) (1 - (C lr_k^-gamma "
       "S_k(t) + 1)^-beta) (Luo et al. 2025); k runs over every step, warmup included, lr_0 = 0"},
      {"loss", "huber on log L_hat - log L"},
      {"delta", delta},
      {"reduction", "sum"},
      {"optimizer", "L-BFGS (liblbfgs) over (L0, log A, alpha, log B, log C, beta, gamma)"},
      {"init_grid",
       "B = d / peak lr with d in {0.03, 0.3}; L0 = 0.9 x lowest loss - d; alpha in {0.3, 0.6}; "
       "(C, beta, gamma) in {(0.5, 0.3, 0.3), (4, 0.7, 0.7)}; A matching the earliest point"},
      {"n_starts", best.n_starts},
      {"screening", "every start " + std::to_string(kScreenIterations) +
                        " L-BFGS iterations, the " + std::to_string(kPolished) +
                        " lowest on to convergence"},
      {"evaluations", best.evaluations},
      {"objective", best.objective},
      {"ld_sum", "exact for the last " + std::to_string(sum.exact_window) +
                     " steps before t, change-weighted blocks of " + std::to_string(sum.block) +
                     " steps before that, doubling in size as the distance to t doubles"}};
  nlohmann::json cj = nlohmann::json::array();
  size_t n_points = 0;
  for (const auto& c : curves) {
    cj.push_back({{"name", c.name},
                  {"warmup", c.warmup},
                  {"steps", c.lr.size()},
                  {"n_points", c.steps.size()},
                  {"lr", c.lr_source}});
    n_points += c.steps.size();
  }
  fit.data = {{"n_points", n_points}, {"curves", cj}};
  if (best.law.beta < 0.05)
    fit.notes.push_back("beta near 0: then G(x) ~ beta log(1 + C x), so the data fix B beta (" +
                        std::to_string(best.law.B * best.law.beta) +
                        ") rather than B and beta apart");
  if (opts.n_bootstrap > 0) {
    const MultiPowerProblem prob(curves, delta);
    BootstrapSpec spec;
    std::vector<std::pair<size_t, size_t>> where;  // flat point -> (curve, point)
    for (size_t c = 0; c < curves.size(); ++c)
      for (size_t i = 0; i < curves[c].steps.size(); ++i) {
        spec.strata.push_back(static_cast<int>(c));
        where.push_back({c, i});
      }
    spec.n_units = where.size();
    const auto x0 = MultiPowerProblem::x_from_law(best.law);
    std::vector<std::vector<double>> starts = {x0};
    for (int k : {3, 5}) {  // log B and beta nudged: the valley along B-beta is long
      auto x = x0;
      x[k] += k == 3 ? 0.1 : 0.05;
      starts.push_back(x);
    }
    spec.refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      std::vector<std::vector<double>> w(curves.size());
      for (size_t c = 0; c < curves.size(); ++c) w[c].assign(curves[c].steps.size(), 0.0);
      for (size_t i : idx) w[where[i].first][where[i].second] += 1;
      Objective f = [&](const std::vector<double>& x, std::vector<double>& g) {
        return prob.objective(x, g, &w);
      };
      Minimum m = minimize_multistart(f, starts, 1);
      const auto vals = MultiPowerProblem::law_from_x(m.x).values();
      return std::vector<double>(vals.begin(), vals.end());
    };
    spec.procedure = {{"resampled", "points (steps) within each curve, stratified by curve"},
                      {"resample_starts", starts.size()}};
    spec.check_wide = {"alpha", "beta", "gamma"};
    fit.notes.push_back(
        "bootstrap resamples points within each curve; neighbouring steps of a curve are "
        "correlated, so the intervals are narrower than the run-to-run spread");
    attach_bootstrap(fit, opts, spec);
  }
  return fit;
}

}  // namespace scalelab
