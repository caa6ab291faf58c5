#include "experiments/pack_plan.h"

#include <map>

#include "common/log.h"
#include "core/packing.h"

namespace scalelab::sweep {

std::vector<std::vector<size_t>> plan_packs(const std::vector<Run>& runs,
                                            const RunnerOptions& options) {
  std::vector<std::vector<size_t>> packs;
  std::vector<bool> taken(runs.size(), false);
  // As the scheduler shares the ready runs over the free job slots (scheduler_pack.cpp): here a
  // level's runs over all the slots, as when the level starts.
  std::map<int, int64_t> per_level;
  for (const auto& r : runs) ++per_level[r.level];
  const int64_t slots = std::max<int64_t>(
      1, options.gpus.empty() ? std::max(1, options.jobs) : int64_t(options.gpus.size()));
  for (size_t i = 0; i < runs.size(); ++i) {
    if (taken[i]) continue;
    taken[i] = true;
    packs.push_back({i});
    const int64_t share = (per_level[runs[i].level] + slots - 1) / slots;
    const int64_t room = std::min(pack_capacity(runs[i], options), share);
    for (size_t j = i + 1; j < runs.size() && int64_t(packs.back().size()) < room; ++j)
      if (!taken[j] && runs[j].level == runs[i].level && runs[j].gpus_per_run == 1 &&
          !pack_difference(runs[i].config, runs[j].config)) {
        taken[j] = true;
        packs.back().push_back(j);
      }
  }
  return packs;
}

std::string pack_plan_text(const std::vector<Run>& runs, const RunnerOptions& options) {
  if (options.max_pack <= 1)
    return "packing: off, every run in its own process (--pack K: up to K runs of one shape in "
           "one)\n";
  const auto packs = plan_packs(runs, options);
  std::string t = log::format(
      "packing: %zu runs in %zu processes, up to %d runs of one shape each (each its own run "
      "folder; --no-pack: one process a run)\n",
      runs.size(), packs.size(), options.max_pack);
  size_t shown = 0, multi = 0;
  for (const auto& p : packs) {
    if (p.size() < 2) continue;
    ++multi;
    if (shown++ >= 8) continue;
    std::string names;
    for (size_t i : p) names += (names.empty() ? "" : " + ") + runs[i].name;
    t += "  " + names + "\n";
  }
  if (shown > 8) t += log::format("  and %zu more packs\n", shown - 8);
  if (multi == 0) t += "  (no two runs share a shape and a level: each trains alone)\n";
  return t;
}

nlohmann::json pack_plan_json(const std::vector<Run>& runs, const RunnerOptions& options) {
  nlohmann::json packs = nlohmann::json::array();
  for (const auto& p : plan_packs(runs, options)) {
    nlohmann::json names = nlohmann::json::array();
    for (size_t i : p) names.push_back(runs[i].name);
    packs.push_back(names);
  }
  return {{"max_pack", options.max_pack}, {"processes", packs.size()}, {"packs", packs}};
}

}  // namespace scalelab::sweep
