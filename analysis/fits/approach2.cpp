#include "analysis/fits/approach2.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "analysis/fits/budget_minima.h"
#include "analysis/fits/fit_bootstrap.h"
#include "analysis/fits/seed_noise.h"
#include "analysis/inputs/seed_points.h"
#include "analysis/numerics/optimize.h"

namespace scalelab {
namespace {

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

// The budgets of the points (one group id each) and each budget's profile from the losses given
// (one per point), weighted when weights are given.
struct Budgets {
  std::vector<double> budgets;
  std::vector<int> group;
  template <class P>
  explicit Budgets(const std::vector<P>& pts) {
    std::vector<double> keys;
    for (const auto& p : pts) keys.push_back(p.budget > 0 ? p.budget : p.C);
    group = budget_groups(keys, budgets);
  }
  std::vector<IsoFlopProfile> profiles(const std::vector<double>& N, const std::vector<double>& L,
                                       const std::vector<double>& W,
                                       const std::vector<size_t>& idx) const {
    std::vector<std::vector<double>> n(budgets.size()), l(budgets.size()), w(budgets.size());
    for (size_t i : idx) {
      n[group[i]].push_back(N[i]), l[group[i]].push_back(L[i]);
      if (!W.empty()) w[group[i]].push_back(W[i]);
    }
    std::vector<IsoFlopProfile> out;
    for (size_t g = 0; g < budgets.size(); ++g)
      out.push_back(fit_isoflop_profile(budgets[g], n[g], l[g], w[g]));
    return out;
  }
};

// The study's bracketing rule: a budget whose lowest seed mean has fewer than k sizes on a side is
// refused (left out of the headline) even when its parabola has an interior minimum.
void refuse_unbracketed(std::vector<IsoFlopProfile>& profiles, const std::vector<SeedPoint>& seeds,
                        int k) {
  if (k <= 0) return;
  const auto minima = budget_minima(seeds);  // same grouping, same order as the profiles
  for (size_t g = 0; g < profiles.size() && g < minima.size(); ++g)
    if (profiles[g].refusal.empty() && !minima[g].bracketed(k))
      profiles[g].refusal = minima[g].unbracketed_reason(k) + "; left out (unbracketed)";
}

// A resample counts only if every budget the full fit used keeps an interior minimum; budgets the
// full fit refused stay out.
std::optional<std::vector<double>> resample_allocation(std::vector<IsoFlopProfile> ps,
                                                       const std::vector<IsoFlopProfile>& full) {
  for (size_t g = 0; g < ps.size(); ++g) {
    if (full[g].refusal.empty() && !ps[g].refusal.empty()) return std::nullopt;
    if (!full[g].refusal.empty()) ps[g].refusal = full[g].refusal;
  }
  try {
    return allocation_from(ps);
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}

nlohmann::json profile_json(const IsoFlopProfile& p) {
  return {{"budget", p.budget},      {"N", p.N},
          {"loss", p.loss},          {"x_mean", p.x_mean},
          {"c", {p.c0, p.c1, p.c2}}, {"N_opt", p.N_opt},
          {"loss_opt", p.loss_opt},  {"used", p.refusal.empty()},
          {"refusal", p.refusal}};
}

FitResult start_fit(const std::vector<IsoFlopProfile>& profiles, const char* grouping) {
  FitResult fit;
  fit.law = LawId::chinchilla_approach2;
  auto v = allocation_from(profiles);
  fit.params = {{"a", v[0]}, {"k_N", v[1]}, {"b", v[2]}, {"k_D", v[3]}};
  fit.procedure = {{"model",
                    "per budget: L = c0 + c1 x + c2 x^2, x = ln N - x_mean; N_opt = k_N C^a, D_opt "
                    "= C/(6 N_opt) = k_D C^b"},
                   {"grouping", grouping}};
  for (const auto& p : profiles)
    if (!p.refusal.empty()) fit.notes.push_back("refused " + p.refusal);
  return fit;
}

const char* kGrouping = "summary config.train.flops, else tags.budget, else C within 10%";

// Seeds of a configuration as one point at their mean, weighted by the inverse variance of the
// mean under the pooled noise model; the hierarchical bootstrap.
FitResult fit_seeded(const std::vector<SeedPoint>& seeds, const FitOptions& opts) {
  const PooledNoise noise = estimate_noise(seeds);
  const std::vector<double> var = mean_variances(seeds, noise.model);
  std::vector<double> N, L, W;
  for (size_t i = 0; i < seeds.size(); ++i)
    N.push_back(seeds[i].N), L.push_back(seeds[i].mean),
        W.push_back(var[i] > 0 ? 1 / var[i] : seeds[i].n);
  const Budgets b(seeds);
  std::vector<size_t> all(seeds.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto profiles = b.profiles(N, L, W, all);
  refuse_unbracketed(profiles, seeds, opts.min_each_side);
  FitResult fit = start_fit(profiles, kGrouping);
  fit.procedure["points"] = "seed means (runs sharing tags.point)";
  fit.procedure["weights"] = "1 / variance of each mean under the pooled noise model";
  fit.procedure["noise"] = noise.to_json();
  nlohmann::json pj = nlohmann::json::array();
  for (size_t g = 0; g < profiles.size(); ++g) {
    nlohmann::json j = profile_json(profiles[g]);
    std::vector<double> sd, se;
    std::vector<int> n;
    for (size_t i = 0; i < seeds.size(); ++i)
      if (b.group[i] == int(g))
        sd.push_back(seeds[i].sd), se.push_back(seeds[i].se), n.push_back(seeds[i].n);
    j["sd"] = sd, j["se"] = se, j["seeds"] = n;
    pj.push_back(j);
  }
  fit.data = {{"n_points", seeds.size()}, {"budgets", pj}};
  // Each mean's value on its budget's parabola: resamples are drawn around it.
  std::vector<double> fitted(seeds.size(), NAN);
  int dof = 0;
  for (size_t g = 0; g < profiles.size(); ++g) {
    const IsoFlopProfile& p = profiles[g];
    if (!p.refusal.empty()) continue;
    dof += static_cast<int>(p.N.size()) - 3;
    for (size_t i = 0; i < seeds.size(); ++i)
      if (b.group[i] == int(g)) {
        const double x = std::log(seeds[i].N) - p.x_mean;
        fitted[i] = p.c0 + p.c1 * x + p.c2 * x * x;
      }
  }
  SeedBootstrapSpec spec;
  spec.points = &seeds;
  spec.noise = noise;
  spec.fitted = fitted;
  spec.residual_dof = dof;
  spec.refit = [&](const std::vector<double>& means) {
    return resample_allocation(b.profiles(N, means, W, all), profiles);
  };
  spec.check_wide = {"a", "b"};
  spec.failure = "lost an interior minimum";
  attach_seed_bootstrap(fit, opts, spec);
  return fit;
}

}  // namespace

IsoFlopProfile fit_isoflop_profile(double budget, const std::vector<double>& N,
                                   const std::vector<double>& loss,
                                   const std::vector<double>& weights) {
  IsoFlopProfile p;
  p.budget = budget, p.N = N, p.loss = loss, p.weight = weights;
  const std::string name = "budget " + budget_name(budget) + " FLOPs";
  std::set<double> sizes(N.begin(), N.end());
  if (sizes.size() < 3) {
    p.refusal =
        name + ": " + std::to_string(sizes.size()) + " model size(s); a parabola needs at least 3";
    return p;
  }
  for (double n : N) p.x_mean += std::log(n) / N.size();
  // Weighted least squares: each row scaled by sqrt(weight).
  std::vector<std::vector<double>> X;
  std::vector<double> y;
  for (size_t i = 0; i < N.size(); ++i) {
    const double x = std::log(N[i]) - p.x_mean, s = weights.empty() ? 1.0 : std::sqrt(weights[i]);
    X.push_back({s, s * x, s * x * x});
    y.push_back(s * loss[i]);
  }
  auto c = least_squares(X, y, name.c_str());
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
  const Budgets b(pts);
  std::vector<double> N, L;
  std::vector<size_t> all;
  for (size_t i = 0; i < pts.size(); ++i)
    N.push_back(pts[i].N), L.push_back(pts[i].loss), all.push_back(i);
  return b.profiles(N, L, {}, all);
}

FitResult fit_approach2(const std::vector<Point>& pts, const FitOptions& opts) {
  const std::vector<SeedPoint> seeds = group_seeds(pts);
  if (has_seed_replicates(seeds)) return fit_seeded(seeds, opts);
  const Budgets b(pts);
  std::vector<double> N, L;
  std::vector<size_t> all;
  for (size_t i = 0; i < pts.size(); ++i)
    N.push_back(pts[i].N), L.push_back(pts[i].loss), all.push_back(i);
  auto profiles = b.profiles(N, L, {}, all);
  refuse_unbracketed(profiles, seeds, opts.min_each_side);
  FitResult fit = start_fit(profiles, kGrouping);
  nlohmann::json pj = nlohmann::json::array();
  for (const auto& p : profiles) pj.push_back(profile_json(p));
  fit.data = {{"n_points", pts.size()}, {"budgets", pj}};
  BootstrapSpec spec;
  spec.n_units = pts.size();
  spec.strata = b.group;
  spec.refit = [&](const std::vector<size_t>& idx) {
    return resample_allocation(b.profiles(N, L, {}, idx), profiles);
  };
  spec.procedure = {{"unit", "run, within its budget"}};
  spec.check_wide = {"a", "b"};
  spec.failure = "lost an interior minimum";
  attach_bootstrap(fit, opts, spec);
  return fit;
}

}  // namespace scalelab
