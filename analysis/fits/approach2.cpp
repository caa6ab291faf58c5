#include "analysis/fits/approach2.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "analysis/fits/fit_bootstrap.h"
#include "analysis/numerics/optimize.h"

namespace scalelab {
namespace {

std::string budget_name(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", b);
  return buf;
}

// Group ids: the run's budget when set, else C binned to within 10% of the group's first C.
std::vector<int> budget_groups(const std::vector<Point>& pts, std::vector<double>& budgets) {
  std::vector<size_t> order(pts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key = [&](size_t i) { return pts[i].budget > 0 ? pts[i].budget : pts[i].C; };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  std::vector<int> group(pts.size());
  double start = 0;
  for (size_t i : order) {
    if (budgets.empty() || key(i) > start * 1.1) budgets.push_back(key(i)), start = key(i);
    group[i] = static_cast<int>(budgets.size()) - 1;
  }
  return group;
}

// (a, k_N, b, k_D) from the accepted profiles; D_opt = C / (6 N_opt).
std::vector<double> allocation_from(const std::vector<IsoFlopProfile>& profiles) {
  std::vector<double> C, N, D;
  for (const auto& p : profiles)
    if (p.refusal.empty())
      C.push_back(p.budget), N.push_back(p.N_opt), D.push_back(p.budget / (6 * p.N_opt));
  if (C.size() < 2) {
    std::string why;
    for (const auto& p : profiles)
      if (!p.refusal.empty()) why += "; " + p.refusal;
    throw std::runtime_error("approach2: " + std::to_string(C.size()) +
                             " usable IsoFLOP budget(s); needs at least 2" + why);
  }
  PowerLaw n = fit_power_law(C, N, "approach2 N_opt(C)"),
           d = fit_power_law(C, D, "approach2 D_opt(C)");
  return {n.p, n.k, d.p, d.k};
}

std::vector<IsoFlopProfile> profiles_of(const std::vector<Point>& pts,
                                        const std::vector<int>& group,
                                        const std::vector<double>& budgets,
                                        const std::vector<size_t>& idx) {
  std::vector<std::vector<double>> N(budgets.size()), L(budgets.size());
  for (size_t i : idx) N[group[i]].push_back(pts[i].N), L[group[i]].push_back(pts[i].loss);
  std::vector<IsoFlopProfile> out;
  for (size_t g = 0; g < budgets.size(); ++g)
    out.push_back(fit_isoflop_profile(budgets[g], N[g], L[g]));
  return out;
}

}  // namespace

IsoFlopProfile fit_isoflop_profile(double budget, const std::vector<double>& N,
                                   const std::vector<double>& loss) {
  IsoFlopProfile p;
  p.budget = budget, p.N = N, p.loss = loss;
  const std::string name = "budget " + budget_name(budget) + " FLOPs";
  std::set<double> sizes(N.begin(), N.end());
  if (sizes.size() < 3) {
    p.refusal =
        name + ": " + std::to_string(sizes.size()) + " model size(s); a parabola needs at least 3";
    return p;
  }
  for (double n : N) p.x_mean += std::log(n) / N.size();
  std::vector<std::vector<double>> X;
  for (double n : N) {
    const double x = std::log(n) - p.x_mean;
    X.push_back({1.0, x, x * x});
  }
  auto c = least_squares(X, loss, name.c_str());
  p.c0 = c[0], p.c1 = c[1], p.c2 = c[2];
  const double lo = std::log(*sizes.begin()) - p.x_mean, hi = std::log(*sizes.rbegin()) - p.x_mean;
  const double x_opt = p.c2 > 0 ? -p.c1 / (2 * p.c2) : NAN;
  if (!(p.c2 > 0) || !(x_opt > lo && x_opt < hi)) {
    p.refusal = name + ": the minimum is not inside its ladder (N " + budget_name(*sizes.begin()) +
                " .. " + budget_name(*sizes.rbegin()) +
                (p.c2 > 0 ? "); add sizes beyond it" : "; the profile is not convex)");
    return p;
  }
  p.N_opt = std::exp(p.x_mean + x_opt);
  p.loss_opt = p.c0 + p.c1 * x_opt + p.c2 * x_opt * x_opt;
  return p;
}

std::vector<IsoFlopProfile> isoflop_profiles(const std::vector<Point>& pts) {
  std::vector<double> budgets;
  auto group = budget_groups(pts, budgets);
  std::vector<size_t> all(pts.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return profiles_of(pts, group, budgets, all);
}

FitResult fit_approach2(const std::vector<Point>& pts, const FitOptions& opts) {
  std::vector<double> budgets;
  auto group = budget_groups(pts, budgets);
  std::vector<size_t> all(pts.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto profiles = profiles_of(pts, group, budgets, all);
  FitResult fit;
  fit.law = LawId::chinchilla_approach2;
  auto v = allocation_from(profiles);
  fit.params = {{"a", v[0]}, {"k_N", v[1]}, {"b", v[2]}, {"k_D", v[3]}};
  fit.procedure = {{"model",
                    "per budget: L = c0 + c1 x + c2 x^2, x = ln N - x_mean; N_opt = k_N C^a, D_opt "
                    "= C/(6 N_opt) = k_D C^b"},
                   {"grouping", "summary config.train.flops, else tags.budget, else C within 10%"}};
  nlohmann::json pj = nlohmann::json::array();
  for (const auto& p : profiles) {
    pj.push_back({{"budget", p.budget},
                  {"N", p.N},
                  {"loss", p.loss},
                  {"x_mean", p.x_mean},
                  {"c", {p.c0, p.c1, p.c2}},
                  {"N_opt", p.N_opt},
                  {"loss_opt", p.loss_opt},
                  {"used", p.refusal.empty()},
                  {"refusal", p.refusal}});
    if (!p.refusal.empty()) fit.notes.push_back("refused " + p.refusal);
  }
  fit.data = {{"n_points", pts.size()}, {"budgets", pj}};
  if (opts.n_bootstrap > 0) {
    BootstrapSpec spec;
    spec.n_units = pts.size();
    spec.strata = group;
    spec.refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      try {
        auto ps = profiles_of(pts, group, budgets, idx);
        // A resample counts only if the budgets used by the full fit keep interior minima.
        for (size_t g = 0; g < ps.size(); ++g)
          if (profiles[g].refusal.empty() && !ps[g].refusal.empty()) return std::nullopt;
        return allocation_from(ps);
      } catch (const std::runtime_error&) {
        return std::nullopt;
      }
    };
    spec.procedure = {{"unit", "run, within its budget"}};
    spec.check_wide = {"a", "b"};
    spec.failure = "lost an interior minimum";
    attach_bootstrap(fit, opts, spec);
  }
  return fit;
}

}  // namespace scalelab
