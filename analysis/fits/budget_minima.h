// Each IsoFLOP budget's sizes, seed means and the minimum among them, with the sizes on each side:
// what approach 2 (fits/approach2.h) and a study's bracketing rule (the runner, experiments/) both
// decide from, so that runner and report agree. A budget is bracketed when its
// lowest seed mean has at least k sizes on each side (the study's k; issue 25 item 3: 2).
#pragma once

#include <string>
#include <vector>

#include "analysis/inputs/seed_points.h"

namespace scalelab {

// Group ids of IsoFLOP budgets: the budget when set (> 0), else C within 10% of the group's first
// C; budgets ascending. keys[i] = budget_i > 0 ? budget_i : C_i.
std::vector<int> budget_groups(const std::vector<double>& keys, std::vector<double>& budgets);

struct BudgetMinimum {
  double budget = 0;
  std::vector<double> sizes;   // distinct N, ascending
  std::vector<double> means;   // the seed mean at each size (seeds of equal N pooled)
  std::vector<int> seeds;      // seeds behind each mean
  std::vector<size_t> points;  // the SeedPoint (index into the input) of each size
  size_t i_min = 0;            // index into sizes of the lowest mean
  int below = 0, above = 0;    // sizes smaller / larger than the minimum's
  bool bracketed(int each_side) const { return below >= each_side && above >= each_side; }
  // "" when bracketed, else e.g. "budget 1e+11 FLOPs: the lowest seed mean (N 3.5e+04) has 1
  // size above it, needs 2".
  std::string unbracketed_reason(int each_side) const;
};

// Budgets ascending. Works on points of n = 1 as well (their mean is their loss).
std::vector<BudgetMinimum> budget_minima(const std::vector<SeedPoint>& points);

// "%.3g" of a budget, as every message names it.
std::string budget_name(double budget);

}  // namespace scalelab
