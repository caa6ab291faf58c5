#include "experiments/dry_run.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/checked_io.h"
#include "common/log.h"
#include "common/text.h"
#include "experiments/run_changes.h"
#include "experiments/trunk_regrow.h"
#include "runfolder/folder.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

bool to_train(const std::string& state, const DryRunPlan& plan) {
  return state != "done" && state != "diverged" && (state != "changed" || plan.rerun_changed);
}

// The runs still to train, in the runner's order (parents first, longest first within a level).
std::vector<const Run*> runs_to_train(const std::vector<Run>& runs, const std::string& out_root,
                                      const DryRunPlan& plan) {
  std::vector<const Run*> out;
  for (const auto& r : runs)
    if (to_train(dry_run_state(r, out_root), plan)) out.push_back(&r);
  std::stable_sort(out.begin(), out.end(), [](const Run* a, const Run* b) {
    return a->level != b->level ? a->level < b->level
                                : a->tokens * cost_per_token(*a) > b->tokens * cost_per_token(*b);
  });
  return out;
}

std::string assumptions(const DryRunPlan& plan) {
  const Throughput& t = *plan.throughput;
  std::string out = plan.threads > 0 ? log::format("%d run(s) at once x %d thread(s)",
                                                   plan.parallel, plan.threads)
                                     : log::format("%d run(s) at once, one per GPU", plan.parallel);
  out += "; " + t.source;
  if (t.spread > 0)
    out += log::format("; rates scatter +-%.0f%% about these (one sigma)", 100 * t.spread);
  return out;
}

}  // namespace

std::string savings_text(const ComputeSavings& s) {
  if (s.n_trunks == 0) return "";
  return log::format(
      "branching: %d trunk(s), %d branches; the sweep trains %.3g FLOPs where independent runs "
      "would train %.3g (%.2fx less compute)\n",
      s.n_trunks, s.n_branches, s.flops_spent, s.flops_independent,
      s.flops_independent / std::max(s.flops_spent, 1.0));
}

std::string dry_run_state(const Run& r, const std::string& out_root) {
  const std::string dir = (fs::path(out_root) / r.name).string();
  switch (inspect_run_folder(dir).state) {
    case FolderState::finished:
      return config_changes(r, dir).empty() ? "done" : "changed";
    case FolderState::diverged:
      return "diverged";
    case FolderState::resumable:
      return "resume";
    case FolderState::empty:
      break;
  }
  const bool trunk_done =
      r.branch_step >= 0 &&
      inspect_run_folder((fs::path(out_root) / r.parent).string()).state == FolderState::finished;
  return trunk_done && !branch_checkpoint(out_root, r) ? "regrow" : "new";
}

double sweep_estimate_seconds(const std::vector<Run>& runs, const std::string& out_root,
                              const DryRunPlan& plan) {
  const auto order = runs_to_train(runs, out_root, plan);
  std::map<std::string, int> index;
  std::vector<PlannedRun> planned;
  for (const Run* r : order) {
    PlannedRun p;
    p.seconds = estimate_seconds(*r, *plan.throughput);
    if (auto it = index.find(r->parent); it != index.end()) p.after = it->second;
    index[r->name] = int(planned.size());
    planned.push_back(p);
  }
  return makespan_seconds(planned, plan.parallel);
}

std::string dry_run_table(const std::vector<Run>& runs, const std::string& out_root,
                          const DryRunPlan& plan) {
  const auto& t = plan.throughput;
  size_t width = 3;
  for (const auto& r : runs) width = std::max(width, r.name.size());
  std::string out =
      log::format("%-*s  %9s  %9s  %9s  %9s  %7s  %8s  %-8s  %s\n", int(width), "run", "N",
                  "N_non_emb", "D", "C", "steps", "est.", "state", "init_from / tags");
  double total_c = 0;
  for (const auto& r : runs) {
    std::string extra = r.parent.empty() ? "" : "<- " + r.parent + "  ";
    if (r.branch_step >= 0)
      extra = "<- " + r.parent + " at step " + std::to_string(r.branch_step) + "  ";
    for (const auto& [k, v] : r.tags) extra += k + "=" + v + " ";
    out += log::format("%-*s  %9.3g  %9.3g  %9.3g  %9.3g  %7ld  %8s  %-8s  %s\n", int(width),
                       r.name.c_str(), double(r.params.total), double(r.params.non_embedding),
                       r.tokens, r.flops, (long)r.steps,
                       t ? duration_text(estimate_seconds(r, *t)).c_str() : "?",
                       dry_run_state(r, out_root).c_str(), extra.c_str());
    total_c += r.flops;
  }
  for (const auto& r : runs)
    for (const auto& w : r.warnings) out += "warning: " + r.name + ": " + w + "\n";
  out += log::format("%zu runs into %s; C under each run's train.flop_convention (total %.3g)\n",
                     runs.size(), out_root.c_str(), total_c);
  out += savings_text(compute_savings(runs));
  if (t)
    out += log::format("estimated time for the %zu run(s) to train: %s\n  assuming %s\n",
                       runs_to_train(runs, out_root, plan).size(),
                       duration_text(sweep_estimate_seconds(runs, out_root, plan)).c_str(),
                       assumptions(plan).c_str());
  for (const auto& note : plan.notes) out += "note: " + note + "\n";
  return out;
}

nlohmann::json dry_run_json(const std::vector<Run>& runs, const std::string& out_root,
                            const DryRunPlan& plan) {
  const auto& t = plan.throughput;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : runs) {
    nlohmann::json tags = nlohmann::json::object();
    for (const auto& [k, v] : r.tags) tags[k] = v;
    list.push_back(
        {{"name", r.name},
         {"params", {{"total", r.params.total}, {"non_embedding", r.params.non_embedding}}},
         {"tokens", r.tokens},
         {"steps", r.steps},
         {"flops", r.flops},
         {"flop_convention", to_string(r.config.train.flop_convention)},
         {"budget", r.budget > 0 ? nlohmann::json(r.budget) : nlohmann::json()},
         {"init_from", r.branch_step >= 0 ? std::string() : r.parent},
         {"branch_from", r.branch_step >= 0
                             ? nlohmann::json({{"trunk", r.parent}, {"step", r.branch_step}})
                             : nlohmann::json()},
         {"trunk", r.trunk()},
         {"tags", tags},
         {"state", dry_run_state(r, out_root)},
         {"estimated_s", t ? nlohmann::json(estimate_seconds(r, *t)) : nlohmann::json()},
         {"warnings", r.warnings}});
  }
  const ComputeSavings savings = compute_savings(runs);
  return {{"out_root", out_root},
          {"runs", list},
          {"compute",
           {{"flops_spent", savings.flops_spent},
            {"flops_independent", savings.flops_independent},
            {"trunks", savings.n_trunks},
            {"branches", savings.n_branches}}},
          {"jobs", plan.parallel},
          {"threads_per_job", plan.threads},
          {"throughput", t ? nlohmann::json(assumptions(plan)) : nlohmann::json()},
          {"notes", plan.notes},
          {"estimated_total_s",
           t ? nlohmann::json(sweep_estimate_seconds(runs, out_root, plan)) : nlohmann::json()}};
}

void record_estimate(const std::vector<Run>& runs, const std::string& out_root,
                     const DryRunPlan& plan) {
  if (!plan.throughput) return;
  nlohmann::json names = nlohmann::json::array();
  for (const Run* r : runs_to_train(runs, out_root, plan)) names.push_back(r->name);
  make_directories(out_root);
  write_file_atomic((fs::path(out_root) / "dry_run_estimate.json").string(),
                    nlohmann::json({{"made", utc_now("%Y-%m-%dT%H:%M:%SZ")},
                                    {"runs", names},
                                    {"estimated_s", sweep_estimate_seconds(runs, out_root, plan)},
                                    {"assuming", assumptions(plan)}})
                            .dump(2) +
                        "\n");
}

std::string estimate_check(const std::string& out_root, const std::vector<std::string>& trained,
                           double took_s, nlohmann::json* record) {
  std::ifstream in(fs::path(out_root) / "dry_run_estimate.json");
  if (!in) return "";
  const auto e = nlohmann::json::parse(in, nullptr, false);
  if (e.is_discarded() || !e.is_object() || !e.contains("runs") || !e["runs"].is_array()) return "";
  std::set<std::string> estimated, done(trained.begin(), trained.end());
  for (const auto& n : e["runs"])
    if (n.is_string()) estimated.insert(n.get<std::string>());
  const double est = e.value("estimated_s", 0.0);
  if (estimated != done || est <= 0 || took_s <= 0) return "";
  *record = {{"dry_run_made", e.value("made", "")},
             {"estimated_s", est},
             {"took_s", took_s},
             {"assuming", e.value("assuming", "")}};
  return log::format("the dry run of %s estimated %s for these %zu run(s); they took %s (%.2fx)",
                     e.value("made", "?").c_str(), duration_text(est).c_str(), done.size(),
                     duration_text(took_s).c_str(), took_s / est);
}

}  // namespace scalelab::sweep
