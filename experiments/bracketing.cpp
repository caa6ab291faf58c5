#include "experiments/bracketing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "experiments/template.h"

namespace scalelab::sweep {
namespace {

bool same_budget(double a, double b) {
  return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b));
}

std::string n_text(double n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", n);
  return buf;
}

// "the lowest seed mean (1.234 at N 1.4e+03) has 0 sizes below and 3 above (2 wanted each side)"
std::string standing_text(const BudgetStanding& s, int each_side) {
  char loss[32] = "?";
  if (s.i_min < s.means.size()) std::snprintf(loss, sizeof loss, "%.4g", s.means[s.i_min]);
  const double n = s.i_min < s.sizes.size() ? s.sizes[s.i_min] : 0;
  return "the lowest seed mean (" + std::string(loss) + " at N " + n_text(n) + ") has " +
         std::to_string(s.below) + " size(s) below and " + std::to_string(s.above) + " above (" +
         std::to_string(each_side) + " wanted each side)";
}

}  // namespace

std::string budget_text(double budget) {
  return n_text(budget);
}

WaveDecision decide_wave(const std::vector<BudgetStanding>& standings, const Ladder* ladder,
                         const BracketingSpec& rule, const std::vector<AddedSize>& before,
                         int wave) {
  WaveDecision d;
  for (const auto& s : standings) {
    if (s.sizes.empty()) continue;
    BudgetVerdict v;
    v.budget = s.budget;
    v.added = int(std::count_if(before.begin(), before.end(), [&](const AddedSize& a) {
      return same_budget(a.budget, s.budget);
    }));
    int need_below = std::max(0, rule.each_side - s.below);
    int need_above = std::max(0, rule.each_side - s.above);
    if (need_below == 0 && need_above == 0) {
      v.bracketed = true;
      d.budgets.push_back(v);
      continue;
    }
    const std::string where =
        "budget " + budget_text(s.budget) + ": " + standing_text(s, rule.each_side);
    if (!ladder || !rule.enabled) {
      v.reason = where + "; the study adds no sizes (it has no bracketing: rule)";
      d.budgets.push_back(v);
      continue;
    }
    int room = rule.max_added - v.added;
    if (room <= 0) {
      v.reason =
          where + "; the cap of " + std::to_string(rule.max_added) + " added size(s) is reached";
      d.budgets.push_back(v);
      continue;
    }
    double cursor[2] = {s.sizes.front(), s.sizes.back()};
    int* need[2] = {&need_below, &need_above};
    // One size a side in turn, so that a short cap is shared between two short sides.
    while (room > 0 && (need_below > 0 || need_above > 0))
      for (Side side : {Side::below, Side::above}) {
        const int k = side == Side::below ? 0 : 1;
        if (room == 0 || *need[k] == 0) continue;
        const Rung* r = ladder->next(cursor[k], side);
        if (!r)
          throw std::runtime_error(
              "study.bracketing.ladder (" + ladder->where() + "): " + where +
              ", and the ladder has no size " + side_name(side) + " N " + n_text(cursor[k]) +
              ": the shape rule cannot produce the next size; extend the ladder (the runs "
              "trained so far are kept)");
        AddedSize a;
        a.wave = wave;
        a.budget = s.budget;
        a.side = side;
        a.shape = r->shape;
        a.params = r->params;
        a.reason = where + ": wave " + std::to_string(wave) + " adds N " + n_text(r->params) + " " +
                   side_name(side) + " (" + r->what + ")";
        d.added.push_back(a);
        cursor[k] = r->params;
        --*need[k];
        --room;
        ++v.added;
      }
    v.reason = where + "; sizes added in wave " + std::to_string(wave);
    d.budgets.push_back(v);
  }
  return d;
}

std::vector<double> design_budgets(const std::vector<Run>& runs) {
  std::vector<double> out;
  for (const auto& r : runs) {
    if (r.trunk()) continue;
    if (!(r.budget > 0))
      throw std::runtime_error("run " + r.name +
                               ": a study brackets IsoFLOP budgets, and this run has none; give "
                               "its group derive: {tokens_from_flops: {flops: ...}}");
    if (std::none_of(out.begin(), out.end(), [&](double b) { return same_budget(b, r.budget); }))
      out.push_back(r.budget);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Group added_group(const Spec& spec, const std::vector<Run>& design_runs, const AddedSize& a) {
  const Run* templ = nullptr;
  for (const auto& r : design_runs)
    if (!r.trunk() && same_budget(r.budget, a.budget)) {
      templ = &r;
      break;
    }
  if (!templ)
    throw std::runtime_error("bracketing: budget " + budget_text(a.budget) +
                             " is not a budget of the study's design (its tokens_from_flops)");
  auto g = std::find_if(spec.groups.begin(), spec.groups.end(),
                        [&](const Group& x) { return x.where == templ->group; });
  if (g == spec.groups.end())
    throw std::runtime_error("bracketing: run " + templ->name + ": its group is not in the study");
  Group out = *g;
  out.where = "study_state.json: wave " + std::to_string(a.wave) + ", budget " +
              budget_text(a.budget) + ", N " + format_number(std::round(a.params)) + " " +
              side_name(a.side);
  std::set<std::string> shape_keys;
  for (const auto& kv : a.shape) shape_keys.insert(kv.first);
  Axis axis;
  axis.points.emplace_back();
  for (const auto& [k, v] : templ->point)
    if (!shape_keys.count(k)) {
      axis.keys.push_back(k);
      axis.points.back().push_back(v);
    }
  for (const auto& [k, v] : a.shape) {
    axis.keys.push_back(k);
    axis.points.back().push_back(v);
  }
  out.axes = {axis};
  out.derive.erase("shape_from_params");  // the rung is the shape
  out.family = "wave" + std::to_string(a.wave);
  return out;
}

}  // namespace scalelab::sweep
