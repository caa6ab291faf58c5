// chinchilla_approach3 by variable projection (fits/approach3.h, fits/varpro.h): without seeds,
// and with seeds (weighted, hierarchical bootstrap).
#include <cmath>

#include "analysis/fits/approach3.h"
#include "analysis/fits/fit_bootstrap.h"
#include "analysis/fits/seed_noise.h"
#include "analysis/fits/varpro.h"
#include "analysis/inputs/distinct.h"
#include "analysis/inputs/seed_points.h"

namespace scalelab {
namespace {

// Huber's threshold for residuals in units of their standard error: 95% efficient under normal
// noise (Huber 1964), which the seed noise is (experiments/demo/NOISE.md).
constexpr double kSeededHuber = 1.345;

FitResult result_of(const VarProFit& best, const VarProData& d, const VarProOptions& o,
                    size_t n_points) {
  FitResult fit;
  fit.law = LawId::chinchilla_approach3;
  const auto values = approach3_constants(best.law());
  for (size_t i = 0; i < values.size(); ++i) fit.params.push_back({kApproach3Names[i], values[i]});
  fit.procedure = {
      {"model",
       "L = E + A/N^alpha + B/D^beta, log L_hat = log(E + A N^-alpha + B D^-beta), E, A, B >= 0"},
      {"loss", "huber"},
      {"delta", d.delta},
      {"reduction", "sum"},
      {"residual", d.scale.empty() ? "log L_hat - log L (Besiroglu et al. 2024)"
                                   : "(log L_hat - log L) / each mean's standard error in log "
                                     "space under the pooled noise model"},
      {"method", "varpro"},
      {"optimizer",
       "variable projection: E, A, B by Gauss-Newton with Huber reweighting and exact "
       "non-negative least squares; (alpha, beta) by a log-spaced grid then L-BFGS on the profile"},
      {"search",
       {{"exponent_box", {o.exponent_lo, o.exponent_hi}},
        {"grid", std::to_string(o.grid) + " x " + std::to_string(o.grid) + " log-spaced"},
        {"refined_from", o.refine_from}}},
      {"objective", best.objective},
      {"profile_evaluations", best.profile_evaluations},
      {"at_bounds", best.at_bounds},
      {"derived", "a = beta/(alpha+beta), b = alpha/(alpha+beta), N_opt = G (C/6)^a"}};
  fit.data = {{"n_points", n_points}};
  return fit;
}

FitResult fit_unseeded(const std::vector<Point>& pts, const FitOptions& opts) {
  VarProOptions o;
  o.n_threads = opts.n_threads;
  const VarProData d = varpro_data(pts, 1e-3);
  const VarProFit best = fit_varpro(d, o);
  FitResult fit = result_of(best, d, o, pts.size());
  fit.data["n_distinct_points"] = count_distinct_nd(pts);
  BootstrapSpec spec;
  spec.n_units = pts.size();
  spec.refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
    const VarProFit r = refine_varpro(varpro_subset(d, idx), best.alpha, best.beta, o);
    return approach3_constants(r.law());
  };
  spec.procedure = {{"unit", "point"},
                    {"resample_fit", "L-BFGS on the profile from the full-data exponents"}};
  spec.check_wide = {"alpha", "beta", "a"};
  attach_bootstrap(fit, opts, spec);
  return fit;
}

FitResult fit_seeded(const std::vector<SeedPoint>& seeds, const FitOptions& opts) {
  const std::vector<Point> means = seed_means(seeds);
  require_approach3_points(means);
  const PooledNoise noise = estimate_noise(seeds);
  VarProData d = varpro_data(means, kSeededHuber);
  for (const auto& p : seeds)
    d.scale.push_back(noise.model.sd(p.N, p.D) / (p.mean * std::sqrt(double(p.n))));
  if (!(noise.model.sd_coef > 0)) d.scale.clear(), d.delta = 1e-3;  // no spread between seeds
  VarProOptions o;
  o.n_threads = opts.n_threads;
  const VarProFit best = fit_varpro(d, o);
  FitResult fit = result_of(best, d, o, seeds.size());
  fit.procedure["points"] = "seed means (runs sharing tags.point)";
  fit.procedure["noise"] = noise.to_json();
  nlohmann::json pj = nlohmann::json::array();
  std::vector<double> fitted;
  const ChinchillaLaw law = best.law();
  for (const auto& p : seeds) {
    pj.push_back({{"name", p.name},
                  {"N", p.N},
                  {"D", p.D},
                  {"C", p.C},
                  {"budget", p.budget},
                  {"mean", p.mean},
                  {"sd", std::isfinite(p.sd) ? nlohmann::json(p.sd) : nullptr},
                  {"se", std::isfinite(p.se) ? nlohmann::json(p.se) : nullptr},
                  {"n", p.n},
                  {"trunks", p.trunks}});
    fitted.push_back(law.loss(p.N, p.D));
  }
  fit.data["points"] = pj;
  fit.data["n_runs"] = [&] {
    size_t n = 0;
    for (const auto& p : seeds) n += p.n;
    return n;
  }();
  SeedBootstrapSpec spec;
  spec.points = &seeds;
  spec.noise = noise;
  spec.fitted = fitted;
  spec.residual_dof = static_cast<int>(seeds.size()) - 5;
  spec.refit = [&](const std::vector<double>& m) -> std::optional<std::vector<double>> {
    VarProData r = d;
    for (size_t i = 0; i < m.size(); ++i) {
      if (!(m[i] > 0)) return std::nullopt;
      r.log_loss[i] = std::log(m[i]);
    }
    return approach3_constants(refine_varpro(r, best.alpha, best.beta, o).law());
  };
  spec.procedure = {{"resample_fit", "L-BFGS on the profile from the full-data exponents"}};
  spec.check_wide = {"alpha", "beta", "a"};
  attach_seed_bootstrap(fit, opts, spec);
  return fit;
}

}  // namespace

FitResult chinchilla_approach3_varpro(const std::vector<Point>& pts, const FitOptions& opts) {
  require_approach3_points(pts);
  const std::vector<SeedPoint> seeds = group_seeds(pts);
  return has_seed_replicates(seeds) ? fit_seeded(seeds, opts) : fit_unseeded(pts, opts);
}

}  // namespace scalelab
