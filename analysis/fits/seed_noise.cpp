#include "analysis/fits/seed_noise.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace scalelab {
namespace {

// Newton on Q(c0, c1) = SUM nu (eta + s2 e^-eta), eta = c0 + c1 x, with step halving; x centred.
void fit_variance(const std::vector<double>& x, const std::vector<double>& s2,
                  const std::vector<double>& nu, bool with_slope, double& c0, double& c1) {
  double sum_nu = 0, pooled = 0;
  for (size_t i = 0; i < x.size(); ++i) sum_nu += nu[i], pooled += nu[i] * s2[i];
  c0 = std::log(pooled / sum_nu), c1 = 0;
  if (!with_slope) return;
  auto Q = [&](double a, double b) {
    double q = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double eta = a + b * x[i];
      q += nu[i] * (eta + s2[i] * std::exp(-eta));
    }
    return q;
  };
  for (int it = 0; it < 100; ++it) {
    double g0 = 0, g1 = 0, h00 = 0, h01 = 0, h11 = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double r = s2[i] * std::exp(-(c0 + c1 * x[i]));
      g0 += nu[i] * (1 - r), g1 += nu[i] * (1 - r) * x[i];
      h00 += nu[i] * r, h01 += nu[i] * r * x[i], h11 += nu[i] * r * x[i] * x[i];
    }
    const double det = h00 * h11 - h01 * h01;
    if (!(det > 0)) return;
    const double d0 = (h11 * g0 - h01 * g1) / det, d1 = (h00 * g1 - h01 * g0) / det;
    const double q = Q(c0, c1);
    double step = 1;
    while (step > 1e-6 && !(Q(c0 - step * d0, c1 - step * d1) <= q)) step /= 2;
    c0 -= step * d0, c1 -= step * d1;
    if (std::abs(step * d0) + std::abs(step * d1) < 1e-12) return;
  }
}

}  // namespace

nlohmann::json PooledNoise::to_json() const {
  return {{"model",
           "sd = sd_coef (D/N)^sd_exponent per run, normal; branches of one trunk "
           "correlate trunk_correlation"},
          {"sd_coef", model.sd_coef},
          {"sd_exponent", model.sd_exponent},
          {"trunk_correlation", model.trunk_correlation},
          {"dof", dof},
          {"points_with_seeds", points_with_seeds},
          {"trunk_pairs", trunk_pairs},
          {"exponent_fitted", exponent_fitted},
          {"rule",
           "maximum likelihood on the points' sample variances (chi-square, n - 1 dof); the "
           "exponent only with >= 3 distinct D/N spanning 2x, else one pooled variance"}};
}

PooledNoise estimate_noise(const std::vector<SeedPoint>& pts) {
  PooledNoise out;
  std::vector<double> x, s2, nu;
  double sum_nu = 0, x_mean = 0;
  for (const auto& p : pts)
    if (p.n >= 2) {
      x.push_back(std::log(p.D / p.N)), s2.push_back(p.sd * p.sd), nu.push_back(p.n - 1);
      sum_nu += p.n - 1, x_mean += (p.n - 1) * x.back();
    }
  out.points_with_seeds = static_cast<int>(x.size());
  out.dof = static_cast<int>(sum_nu);
  if (x.empty()) return out;
  x_mean /= sum_nu;
  for (double& v : x) v -= x_mean;
  double pooled = 0;
  for (size_t i = 0; i < x.size(); ++i) pooled += nu[i] * s2[i];
  if (!(pooled > 0)) {  // every seed gave the same loss
    out.model = {0, 0, 0};
    return out;
  }
  std::set<long long> distinct;
  for (double v : x) distinct.insert(std::llround(v * 1e6));
  const double span = *std::max_element(x.begin(), x.end()) - *std::min_element(x.begin(), x.end());
  out.exponent_fitted = distinct.size() >= 3 && span >= std::log(2.0);
  double c0 = 0, c1 = 0;
  fit_variance(x, s2, nu, out.exponent_fitted, c0, c1);
  out.model.sd_coef = std::exp((c0 - c1 * x_mean) / 2);
  out.model.sd_exponent = c1 / 2;
  // Trunk correlation from the points each trunk spans.
  std::map<std::string, std::vector<std::pair<size_t, double>>> by_trunk;  // (point, z)
  for (size_t i = 0; i < pts.size(); ++i) {
    const SeedPoint& p = pts[i];
    if (p.n < 2) continue;
    const double sd = out.model.sd(p.N, p.D);
    for (size_t k = 0; k < p.losses.size(); ++k)
      by_trunk[p.trunks[k]].push_back({i, (p.losses[k] - p.mean) / sd});
  }
  double num = 0, den = 0;
  for (const auto& [trunk, zs] : by_trunk)
    for (size_t a = 0; a < zs.size(); ++a)
      for (size_t b = a + 1; b < zs.size(); ++b)
        if (zs[a].first != zs[b].first) {
          num += zs[a].second * zs[b].second;
          den += (zs[a].second * zs[a].second + zs[b].second * zs[b].second) / 2;
          ++out.trunk_pairs;
        }
  out.model.trunk_correlation = den > 0 ? std::clamp(num / den, 0.0, 0.99) : 0.0;
  return out;
}

std::vector<double> mean_variances(const std::vector<SeedPoint>& pts, const NoiseModel& m) {
  std::vector<double> v;
  for (const auto& p : pts) {
    const double sd = m.sd(p.N, p.D);
    v.push_back(sd * sd / std::max(1, p.n));
  }
  return v;
}

}  // namespace scalelab
