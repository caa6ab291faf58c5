#include "analysis/fits/approach1.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "analysis/fits/fit_bootstrap.h"
#include "analysis/fits/frontier.h"
#include "analysis/inputs/distinct.h"
#include "analysis/numerics/optimize.h"

namespace scalelab {
namespace {

// (a, k_N, b, k_D) from frontier points; throws when the frontier holds one model size only.
std::vector<double> allocation_from(const std::vector<FrontierPoint>& front) {
  std::vector<double> C, N, D;
  std::set<double> sizes;
  for (const auto& f : front)
    C.push_back(f.C), N.push_back(f.N), D.push_back(f.D), sizes.insert(f.N);
  if (sizes.size() < 2)
    throw std::runtime_error("approach1: the loss frontier uses only " +
                             std::to_string(sizes.size()) +
                             " model size(s); needs runs of several sizes whose curves cross");
  PowerLaw n = fit_power_law(C, N, "approach1 N_opt(C)"),
           d = fit_power_law(C, D, "approach1 D_opt(C)");
  return {n.p, n.k, d.p, d.k};
}

// Frontier points won by the smallest or largest size are censored: the optimum there may lie
// outside the ladder, and keeping them flattens N_opt(C).
std::vector<FrontierPoint> interior(const std::vector<FrontierPoint>& front) {
  if (front.empty()) return front;
  double lo = front[0].N, hi = front[0].N;
  for (const auto& f : front) lo = std::min(lo, f.N), hi = std::max(hi, f.N);
  std::vector<FrontierPoint> out;
  for (const auto& f : front)
    if (f.N > lo && f.N < hi) out.push_back(f);
  return out;
}

}  // namespace

FitResult fit_approach1(const std::vector<Point>& pts, const std::vector<Run>& runs,
                        ParamCount count, const FitOptions& opts) {
  auto raw = runs.empty() ? point_frontier(pts) : curve_frontier(runs, count);
  std::set<double> sizes;
  for (const auto& f : raw) sizes.insert(f.N);
  if (sizes.size() < 3)
    throw std::runtime_error("approach1: the loss frontier uses only " +
                             std::to_string(sizes.size()) +
                             " model size(s); needs at least 3 whose curves cross (the smallest "
                             "and largest are censored)");
  auto front = interior(raw);
  std::vector<double> front_c;
  for (const auto& f : front) front_c.push_back(f.C);
  const size_t n_c = count_distinct(front_c);  // two final points of equal C are one frontier point
  if (n_c < 3)
    throw std::runtime_error(
        "approach1: the loss frontier has " + std::to_string(n_c) + " distinct C values" +
        (n_c != front.size() ? " (" + std::to_string(front.size()) + " points)" : "") +
        " won by a size inside the ladder; needs at least 3 (add sizes or train longer)");
  FitResult fit;
  fit.law = LawId::chinchilla_approach1;
  auto v = allocation_from(front);
  fit.params = {{"a", v[0]}, {"k_N", v[1]}, {"b", v[2]}, {"k_D", v[3]}};
  fit.procedure = {
      {"model", "N_opt = k_N C^a, D_opt = k_D C^b"},
      {"frontier", runs.empty() ? "final points (Pareto front over C)"
                                : "lower envelope of training curves, 40 log-spaced C"},
      {"loss", "least squares in log-log"},
      {"censoring", "frontier points won by the smallest or largest model size are left out"}};
  nlohmann::json fj = nlohmann::json::array();
  for (const auto& f : front)
    fj.push_back({{"C", f.C}, {"loss", f.loss}, {"N", f.N}, {"D", f.D}, {"run", f.run}});
  fit.data = {{"n_runs", runs.empty() ? pts.size() : runs.size()}, {"frontier", fj}};
  if (opts.n_bootstrap > 0) {
    BootstrapSpec spec;
    spec.n_units = runs.empty() ? pts.size() : runs.size();
    spec.refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      try {
        if (runs.empty()) {
          std::vector<Point> s;
          for (size_t i : idx) s.push_back(pts[i]);
          return allocation_from(interior(point_frontier(s)));
        }
        std::vector<Run> s;
        for (size_t i : idx) s.push_back(runs[i]);
        return allocation_from(interior(curve_frontier(s, count)));
      } catch (const std::runtime_error&) {
        return std::nullopt;  // the resample kept a single model size
      }
    };
    spec.procedure = {{"unit", runs.empty() ? "point" : "run"}};
    spec.check_wide = {"a", "b"};
    spec.failure = "kept a single model size";
    attach_bootstrap(fit, opts, spec);
  }
  return fit;
}

}  // namespace scalelab
