#include "experiments/branching.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "core/budget.h"
#include "core/schedule.h"

namespace scalelab::sweep {
namespace {

// Runs of one family share everything but their budget (and the schedule branching sets).
std::string family_key(const Run& r) {
  Config c = r.config;
  c.train.steps = 0;
  c.train.tokens = 0;
  c.train.flops = 0;
  c.schedule.kind = Schedule::constant;
  return to_yaml(c) + "\ngpus_per_run: " + std::to_string(r.gpus_per_run) + "\nfamily: " + r.family;
}

void check_schedule(const Run& r) {
  const auto& s = r.config.schedule;
  if (s.warmup_steps == 0 && s.warmup_fraction > 0)
    throw std::runtime_error(
        "branching: run " + r.name +
        " warms up over schedule.warmup_fraction of its own steps; set "
        "schedule.warmup_steps so that a trunk and its branches share one warmup");
}

Run make_trunk(const std::vector<Run*>& family, const std::set<std::string>& taken) {
  const Run& longest = *family.back();
  Run t = longest;
  t.name = longest.name + "-trunk";
  while (taken.count(t.name)) t.name += "_";
  for (const Run* b : family) t.checkpoint_steps.push_back(b->branch_step);
  std::sort(t.checkpoint_steps.begin(), t.checkpoint_steps.end());
  t.checkpoint_steps.erase(std::unique(t.checkpoint_steps.begin(), t.checkpoint_steps.end()),
                           t.checkpoint_steps.end());
  // One step past the last branch point, so that the trunk's own end (its final evaluation)
  // lies after every checkpoint a branch starts from.
  t.config.schedule.kind = Schedule::constant;
  t.config.train.steps = t.checkpoint_steps.back() + 1;
  t.config.train.tokens = 0;
  t.config.train.flops = 0;
  t.steps = t.config.train.steps;
  t.tokens = double(t.steps) * tokens_per_step(t.config);
  t.flops = longest.flops * t.tokens / longest.tokens;
  t.budget = 0;
  t.branch_step = -1;
  t.parent.clear();
  t.level = 0;
  t.tags.erase(std::remove_if(t.tags.begin(), t.tags.end(),
                              [](const auto& kv) { return kv.first == "budget"; }),
               t.tags.end());
  t.tags.push_back({"branching", "trunk"});
  t.warnings.clear();
  return t;
}

}  // namespace

void apply_branching(const Branching& b, std::vector<Run>& runs) {
  std::map<std::string, std::vector<Run*>> families;
  std::vector<std::string> order;
  std::set<std::string> taken;
  for (auto& r : runs) {
    taken.insert(r.name);
    if (!r.parent.empty()) continue;  // fine-tuning runs keep their own schedule
    check_schedule(r);
    r.config.schedule.kind = Schedule::wsd;
    r.config.schedule.decay_fraction = b.cooldown;
    r.config.schedule.decay_shape = b.shape;
    if (wsd_decay_start(r.config.schedule, r.steps) >= r.steps) {
      // Its warmup outlasts it: no constant phase, so no trunk step equals it. Trained on its own.
      r.warnings.push_back("warmup of " + std::to_string(r.config.schedule.warmup_steps) +
                           " steps covers the whole run (" + std::to_string(r.steps) +
                           " steps): its lr never reaches the peak, and it is not branched");
      continue;
    }
    const auto key = family_key(r);
    if (!families.count(key)) order.push_back(key);
    families[key].push_back(&r);
  }
  std::vector<Run> trunks;
  for (const auto& key : order) {
    auto& family = families[key];
    if (family.size() < 2) continue;  // nothing to share: an ordinary WSD run
    std::stable_sort(family.begin(), family.end(),
                     [](const Run* x, const Run* y) { return x->steps < y->steps; });
    for (Run* r : family) r->branch_step = wsd_decay_start(r->config.schedule, r->steps);
    trunks.push_back(make_trunk(family, taken));
    taken.insert(trunks.back().name);
    for (Run* r : family) {
      r->parent = trunks.back().name;
      r->level = 1;
      r->tags.push_back({"branching", "branch"});
    }
  }
  // Runs that start from a branch (init_from) come a level later.
  for (auto& r : runs)
    if (r.branch_step < 0 && !r.parent.empty()) r.level += 1;
  runs.insert(runs.begin(), trunks.begin(), trunks.end());
  std::stable_sort(runs.begin(), runs.end(),
                   [](const Run& x, const Run& y) { return x.level < y.level; });
}

ComputeSavings compute_savings(const std::vector<Run>& runs) {
  ComputeSavings s;
  for (const auto& r : runs) {
    const double per_step = r.steps > 0 ? r.flops / double(r.steps) : 0;
    if (r.trunk()) {
      ++s.n_trunks;
      s.flops_spent += r.flops;
      continue;
    }
    if (r.branch_step >= 0) ++s.n_branches;
    s.flops_spent += per_step * double(r.own_steps());
    s.flops_independent += r.flops;
  }
  return s;
}

}  // namespace scalelab::sweep
