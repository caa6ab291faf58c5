#include "experiments/study_run.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "common/checked_io.h"
#include "configs/config_enums.h"
#include "experiments/branching.h"
#include "experiments/template.h"
#include "runfolder/folder.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

bool same_budget(double a, double b) {
  return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b));
}

// The design with the added sizes; each added size learns the names of the runs it became.
std::vector<Run> expand_with(const StudySpec& spec, const std::vector<Run>& base,
                             std::vector<AddedSize>& added) {
  Spec s = spec.sweep;
  for (const auto& a : added) s.groups.push_back(added_group(spec.sweep, base, a));
  std::vector<Run> runs = expand(s);
  for (size_t i = 0; i < added.size(); ++i) {
    added[i].runs.clear();
    const std::string& where = s.groups[spec.sweep.groups.size() + i].where;
    for (const auto& r : runs)
      if (r.group == where && !r.trunk()) added[i].runs.push_back(r.name);
  }
  return runs;
}

std::vector<double> sizes_of(const std::vector<Run>& runs, double budget,
                             const std::string& count) {
  std::vector<double> out;
  for (const auto& r : runs)
    if (!r.trunk() && same_budget(r.budget, budget)) out.push_back(counted_params(r.config, count));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The shape rule must produce the next size on each side of every budget of the file's design,
// and those sizes must be runs the sweep can train (a valid config, a budget that buys a step,
// an lr within the tuned range, a name of their own): checked before anything trains.
void check_next_sizes(const StudyDesign& d) {
  const std::string rule = "study.bracketing.ladder (" + d.ladder->where() + ")";
  std::vector<AddedSize> probes;
  for (double b : d.budgets) {
    const auto sizes = sizes_of(d.base_runs, b, d.spec.params_counted);
    for (Side side : {Side::below, Side::above}) {
      const double edge = side == Side::below ? sizes.front() : sizes.back();
      const Rung* r = d.ladder->next(edge, side);
      if (!r)
        throw std::runtime_error(
            rule + ": the shape rule cannot produce the next size " + side_name(side) + " budget " +
            budget_text(b) + "'s " + (side == Side::below ? "smallest" : "largest") + " size (N " +
            format_number(std::round(edge)) + "): add rungs to the ladder (nothing was trained)");
      AddedSize a;
      a.wave = 1;
      a.budget = b;
      a.side = side;
      a.shape = r->shape;
      a.params = r->params;
      probes.push_back(a);
    }
  }
  for (auto& a : probes) {
    std::vector<AddedSize> one = {a};
    try {
      expand_with(d.spec, d.base_runs, one);
    } catch (const std::exception& e) {
      throw std::runtime_error(rule + ": the next size " + std::string(side_name(a.side)) +
                               " budget " + budget_text(a.budget) + " (N " +
                               format_number(std::round(a.params)) +
                               ") cannot be trained: " + e.what());
    }
  }
}

std::string one_convention(const std::vector<Run>& runs) {
  std::string conv, first;
  for (const auto& r : runs) {
    if (r.trunk()) continue;
    const std::string c = enum_name(r.config.train.flop_convention);
    if (conv.empty()) conv = c, first = r.name;
    if (c != conv)
      throw std::runtime_error("runs " + first + " (" + conv + ") and " + r.name + " (" + c +
                               ") count FLOPs differently; a study fits and reports under one "
                               "convention, its sweep's (tokens_from_flops' convention)");
  }
  return conv;
}

}  // namespace

LoadedSweep StudyDesign::sweep() const {
  return {spec.path, runs, out_root};
}

StudyDesign load_study_design(const std::string& file, const std::vector<std::string>& sets,
                              const std::string& out_root_flag) {
  StudyDesign d;
  d.spec = load_study(file);
  apply_sets(d.spec.sweep, sets);
  d.out_root = out_root_flag;
  if (d.out_root.empty()) d.out_root = d.spec.sweep.out_root;
  if (d.out_root.empty()) d.out_root = "runs/" + fs::path(file).stem().string();
  d.state_path = (fs::path(d.out_root) / "study_state.json").string();
  d.state = read_study_state(d.state_path);
  d.state.study_file = file;
  d.base_runs = expand(d.spec.sweep);
  d.budgets = design_budgets(d.base_runs);
  d.flop_convention = one_convention(d.base_runs);
  if (d.spec.bracketing.enabled) {
    d.ladder.emplace(d.spec.bracketing.ladder, d.base_runs.front().config, d.spec.params_counted);
    check_next_sizes(d);
  }
  try {
    d.runs = expand_with(d.spec, d.base_runs, d.state.added);
  } catch (const std::exception& e) {
    throw std::runtime_error(d.state_path +
                             ": its added sizes do not fit the study file any "
                             "more (" +
                             std::string(e.what()) +
                             "); move it away to start the study's waves afresh");
  }
  return d;
}

std::vector<std::string> unfinished_runs(const StudyDesign& d) {
  std::vector<std::string> out;
  for (const auto& r : d.runs)
    if (inspect_run_folder((fs::path(d.out_root) / r.name).string()).state != FolderState::finished)
      out.push_back(r.name);
  return out;
}

std::vector<AddedSize> decide_next_wave(StudyDesign& d,
                                        const std::vector<BudgetStanding>& standings) {
  for (double b : d.budgets)
    if (std::none_of(standings.begin(), standings.end(),
                     [&](const BudgetStanding& s) { return same_budget(s.budget, b); }))
      throw std::runtime_error("budget " + budget_text(b) +
                               ": no finished run of the design to decide its bracketing from");
  const Ladder* ladder = d.ladder ? &*d.ladder : nullptr;
  WaveDecision w =
      decide_wave(standings, ladder, d.spec.bracketing, d.state.added, d.state.wave + 1);
  d.state.standings = standings;
  d.state.budgets = w.budgets;
  if (w.added.empty()) {
    d.state.phase = "bracketed";
    write_study_state(d.state_path, d.state);
    return {};
  }
  std::vector<AddedSize> all = d.state.added;
  all.insert(all.end(), w.added.begin(), w.added.end());
  d.runs = expand_with(d.spec, d.base_runs, all);
  d.state.added = all;
  d.state.wave += 1;
  d.state.phase = "training";
  write_study_state(d.state_path, d.state);  // before anything of the wave trains
  return std::vector<AddedSize>(all.end() - long(w.added.size()), all.end());
}

SweepResult run_study_waves(StudyDesign& d, const StudyHooks& hooks) {
  while (true) {
    d.state.phase = "training";
    write_study_state(d.state_path, d.state);
    hooks.say("wave " + std::to_string(d.state.wave) + ": " + std::to_string(d.runs.size()) +
              " runs" + (d.state.wave == 0 ? " (the study file's design)" : ""));
    SweepResult r = hooks.train(d.sweep());
    if (r.exit_code() != 0) return r;
    const auto standings = hooks.standings(d);
    if (!standings) {
      if (d.spec.bracketing.enabled)
        throw std::runtime_error(
            "wave " + std::to_string(d.state.wave) +
            "'s runs are trained, but this build's analysis cannot locate each budget's minimum "
            "(budget_minima), so the next wave cannot be decided; the runs are kept");
      d.state.phase = "bracketed";
      d.state.notes.push_back(
          "each budget's minimum was not located (no budget_minima in this "
          "build): no verdicts");
      write_study_state(d.state_path, d.state);
      return r;
    }
    const auto added = decide_next_wave(d, *standings);
    for (const auto& a : added) hooks.say(a.reason);
    if (added.empty()) return r;
  }
}

std::string study_plan_text(const StudyDesign& d) {
  const StudySpec& s = d.spec;
  std::string t = "study: " + s.claim + "\n";
  std::string laws;
  for (const auto& l : s.laws) laws += (laws.empty() ? "" : ", ") + l.name;
  t += "laws: " + laws + "; the report opens with " + s.headline.name + " (" + s.headline_why +
       ")\n";
  t += "bootstrap: " + std::to_string(s.bootstrap) +
       " resamples; an interval whose resamples failed more than " +
       format_number(100 * s.max_failed_share) + "% of the time is \"not identified\"\n";
  const int seeds = s.sweep.groups.front().seeds;
  t += "FLOPs under the " + d.flop_convention + " convention; " + std::to_string(seeds) +
       " seed(s) per point\n";
  const ComputeSavings c = compute_savings(d.runs);
  double most_added = 0;
  for (double b : d.budgets) {
    const auto sizes = sizes_of(d.runs, b, s.params_counted);
    t += "  budget " + budget_text(b) + ": " + std::to_string(sizes.size()) + " sizes, N " +
         format_number(std::round(sizes.front())) + " to " +
         format_number(std::round(sizes.back()));
    if (d.ladder) {
      for (Side side : {Side::below, Side::above}) {
        const Rung* r = d.ladder->next(side == Side::below ? sizes.front() : sizes.back(), side);
        t += std::string("; next ") + side_name(side) + ": " +
             (r ? "N " + format_number(std::round(r->params)) : std::string("none"));
      }
      most_added += b * s.bracketing.max_added * seeds;
    }
    t += "\n";
  }
  char buf[256];
  std::snprintf(buf, sizeof buf, "compute: this design trains %.3g FLOPs", c.flops_spent);
  t += buf;
  if (d.ladder) {
    std::snprintf(buf, sizeof buf,
                  "; bracketing (%d per side of each minimum, at most %d size(s) per budget) may "
                  "add up to %.3g more (each added run costs its budget, before branching)",
                  s.bracketing.each_side, s.bracketing.max_added, most_added);
    t += buf;
  }
  t += "\n";
  if (d.state.wave > 0) t += "bracketing so far: " + study_state_text(d.state);
  return t;
}

}  // namespace scalelab::sweep
