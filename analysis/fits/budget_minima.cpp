#include "analysis/fits/budget_minima.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace scalelab {

std::string budget_name(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", b);
  return buf;
}

std::vector<int> budget_groups(const std::vector<double>& keys, std::vector<double>& budgets) {
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::vector<int> group(keys.size());
  double start = 0;
  for (size_t i : order) {
    if (budgets.empty() || keys[i] > start * 1.1) budgets.push_back(keys[i]), start = keys[i];
    group[i] = static_cast<int>(budgets.size()) - 1;
  }
  return group;
}

std::string BudgetMinimum::unbracketed_reason(int each_side) const {
  if (bracketed(each_side)) return "";
  const bool few_below = below < each_side;
  const int have = few_below ? below : above;
  return "budget " + budget_name(budget) + " FLOPs: the lowest seed mean (N " +
         budget_name(sizes[i_min]) + ") has " + std::to_string(have) + " size(s) " +
         (few_below ? "below" : "above") + " it, needs " + std::to_string(each_side);
}

std::vector<BudgetMinimum> budget_minima(const std::vector<SeedPoint>& points) {
  std::vector<double> keys, budgets;
  for (const auto& p : points) keys.push_back(p.budget > 0 ? p.budget : p.C);
  const std::vector<int> group = budget_groups(keys, budgets);
  std::vector<BudgetMinimum> out(budgets.size());
  for (size_t g = 0; g < budgets.size(); ++g) out[g].budget = budgets[g];
  std::vector<std::vector<size_t>> members(budgets.size());
  for (size_t i = 0; i < points.size(); ++i) members[group[i]].push_back(i);
  for (size_t g = 0; g < out.size(); ++g) {
    auto& m = members[g];
    std::stable_sort(m.begin(), m.end(),
                     [&](size_t a, size_t b) { return points[a].N < points[b].N; });
    BudgetMinimum& b = out[g];
    for (size_t i : m) {
      const SeedPoint& p = points[i];
      if (!b.sizes.empty() && std::abs(p.N - b.sizes.back()) <= 1e-9 * p.N) {  // pool equal N
        const int n = b.seeds.back() + p.n;
        b.means.back() = (b.means.back() * b.seeds.back() + p.mean * p.n) / n;
        b.seeds.back() = n;
        continue;
      }
      b.sizes.push_back(p.N), b.means.push_back(p.mean), b.seeds.push_back(p.n);
      b.points.push_back(i);
    }
    b.i_min = std::min_element(b.means.begin(), b.means.end()) - b.means.begin();
    b.below = static_cast<int>(b.i_min);
    b.above = static_cast<int>(b.sizes.size() - 1 - b.i_min);
  }
  return out;
}

}  // namespace scalelab
