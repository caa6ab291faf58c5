#include "analysis/fits/seed_bootstrap.h"

#include <cmath>
#include <map>
#include <random>
#include <string>

namespace scalelab {

double lack_of_fit_ratio(const std::vector<double>& residuals, const std::vector<double>& variances,
                         int dof) {
  if (dof < 1) return NAN;
  double q = 0;
  for (size_t i = 0; i < residuals.size(); ++i)
    if (std::isfinite(residuals[i]) && variances[i] > 0)
      q += residuals[i] * residuals[i] / variances[i];
  return q / dof;
}

double chi2_95_per_dof(int dof) {
  if (dof < 1) return NAN;
  const double k = 2.0 / (9.0 * dof), z = 1.6448536269514722;
  return std::pow(1 - k + z * std::sqrt(k), 3);
}

std::vector<std::vector<double>> seed_resamples(const std::vector<SeedPoint>& pts,
                                                const std::vector<double>& centre,
                                                const NoiseModel& noise,
                                                const std::vector<double>& extra_variance,
                                                int n_resamples, uint64_t seed) {
  // Trunks in a fixed order (by name), so a trunk's draw does not depend on the points' order.
  std::map<std::string, size_t> trunk_index;
  for (const auto& p : pts)
    for (const auto& t : p.trunks) trunk_index.emplace(t, 0);
  size_t k = 0;
  for (auto& [name, index] : trunk_index) index = k++;
  std::vector<std::vector<size_t>> run_trunk(pts.size());
  for (size_t i = 0; i < pts.size(); ++i)
    for (const auto& t : pts[i].trunks) run_trunk[i].push_back(trunk_index.at(t));
  const double rho = noise.trunk_correlation, shared = std::sqrt(rho), own = std::sqrt(1 - rho);
  std::vector<double> sd(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) sd[i] = noise.sd(pts[i].N, pts[i].D);

  std::mt19937_64 rng(seed);
  PortableNormal normal;
  std::vector<std::vector<double>> out(n_resamples, std::vector<double>(pts.size()));
  std::vector<double> u(trunk_index.size());
  for (auto& means : out) {
    for (double& v : u) v = normal(rng);
    for (size_t i = 0; i < pts.size(); ++i) {
      double sum = 0;
      for (size_t t : run_trunk[i]) sum += shared * u[t] + own * normal(rng);
      means[i] = centre[i] + sd[i] * sum / run_trunk[i].size();
      const double extra = extra_variance.empty() ? 0 : extra_variance[i];
      const double g = normal(rng);  // drawn always, so the stream does not depend on extra
      if (extra > 0) means[i] += std::sqrt(extra) * g;
    }
  }
  return out;
}

}  // namespace scalelab
