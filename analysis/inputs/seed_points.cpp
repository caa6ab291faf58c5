#include "analysis/inputs/seed_points.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "analysis/inputs/fit_input.h"

namespace scalelab {
namespace {

bool same(double a, double b) {
  return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b));
}

void require_same(const SeedPoint& g, const char* what, double first, double other) {
  if (same(first, other)) return;
  char buf[96];
  std::snprintf(buf, sizeof buf, " (%.6g and %.6g)", first, other);
  throw std::runtime_error("point " + g.name + ": its runs differ in " + what + buf +
                           "; runs tagged with one point must be seeds of one configuration");
}

}  // namespace

Point SeedPoint::as_point() const {
  Point p{N, D, C, mean, name, budget, U};
  p.group = name;
  return p;
}

std::vector<SeedPoint> group_seeds(const std::vector<Point>& pts) {
  std::vector<SeedPoint> out;
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < pts.size(); ++i) {
    const Point& p = pts[i];
    size_t g = out.size();
    if (!p.group.empty()) {
      auto [it, fresh] = by_name.emplace(p.group, out.size());
      g = it->second;
      if (!fresh) {
        SeedPoint& s = out[g];
        require_same(s, "N", s.N, p.N);
        require_same(s, "D", s.D, p.D);
        require_same(s, "budget", s.budget, p.budget);
      }
    }
    if (g == out.size()) {
      SeedPoint s;
      s.name = p.group.empty() ? p.name : p.group;
      s.N = p.N, s.D = p.D, s.C = p.C, s.budget = p.budget, s.U = p.U;
      out.push_back(s);
    }
    SeedPoint& s = out[g];
    s.losses.push_back(p.loss);
    s.trunks.push_back(p.trunk.empty() ? (p.name.empty() ? "#" + std::to_string(i) : p.name)
                                       : p.trunk);
    s.seeds.push_back(p.seed);
    s.members.push_back(i);
  }
  for (auto& s : out) {
    s.n = static_cast<int>(s.losses.size());
    double sum = 0;
    for (double l : s.losses) sum += l;
    s.mean = sum / s.n;
    if (s.n < 2) continue;
    double ss = 0;
    for (double l : s.losses) ss += (l - s.mean) * (l - s.mean);
    s.sd = std::sqrt(ss / (s.n - 1));
    s.se = s.sd / std::sqrt(s.n);
  }
  return out;
}

std::vector<SeedPoint> group_seeds(const std::vector<Run>& runs, ParamCount count) {
  return group_seeds(run_points(scaling_runs(runs), count));
}

bool has_seed_replicates(const std::vector<SeedPoint>& pts) {
  for (const auto& p : pts)
    if (p.n >= 2) return true;
  return false;
}

std::vector<Point> seed_means(const std::vector<SeedPoint>& pts) {
  std::vector<Point> out;
  for (const auto& p : pts) out.push_back(p.as_point());
  return out;
}

}  // namespace scalelab
