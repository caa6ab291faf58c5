// Run folders as written by `scalelab train`, read through the run-folder contract (runfolder/,
// docs/formats.md).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "analysis/inputs/points.h"
#include "analysis/inputs/run_tags.h"
#include "runfolder/metrics.h"
#include "runfolder/summary.h"

namespace fs = std::filesystem;

namespace scalelab {
namespace {

bool is_run_folder(const fs::path& p) {
  return fs::exists(p / "summary.json") || fs::exists(p / "metrics.jsonl") ||
         fs::exists(p / "config.yaml");
}

void find_runs(const fs::path& dir, std::vector<fs::path>& out) {
  if (is_run_folder(dir)) {
    out.push_back(dir);
    return;
  }
  std::vector<fs::path> children;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) children.push_back(e.path());
  std::sort(children.begin(), children.end());
  for (const auto& c : children) find_runs(c, out);
}

// "diverged at step 7 of 20", "paused at step 5 of 20 (resume it to fit it)".
std::string why_left_out(const Run& r) {
  std::string at = " at step " + std::to_string(r.steps) +
                   (r.budget_steps > 0 ? " of " + std::to_string(r.budget_steps) : std::string());
  if (r.status == RunStatus::paused)
    return "paused" + at + "; `scalelab train ... --resume` finishes it";
  return enum_name(r.status) + at;
}

}  // namespace

ParamCount parse_param_count(const std::string& s) {
  if (s == "total") return ParamCount::total;
  if (s == "non-embedding" || s == "non_embedding") return ParamCount::non_embedding;
  throw std::runtime_error("--params " + s + ": expected total or non-embedding");
}

double run_params(const Run& r, ParamCount count) {
  return count == ParamCount::total ? r.params_total : r.params_non_embedding;
}

Run read_run(const std::string& dir, FlopConvention conv) {
  const auto summary = read_summary(dir);
  if (!summary)
    throw std::runtime_error(summary_path(dir) + ": missing (the run has not finished)");
  const RunSummary& s = *summary;
  Run r;
  r.path = dir;
  r.name = s.run_name.empty() ? fs::path(dir).filename().string() : s.run_name;
  r.status = s.status;
  r.steps = s.steps;
  r.budget_steps = s.budget_steps;
  r.params_total = double(s.params_total);
  r.params_non_embedding = double(s.params_non_embedding);
  r.tokens = s.tokens;
  if (is_complete(s.status))
    r.flops = s.flops_under(conv);
  else if (s.flops.count(conv))
    r.flops = s.flops.at(conv);
  r.final_val_loss = s.final_val_loss;
  r.best_val_loss = std::isfinite(s.best_val_loss) ? s.best_val_loss : s.final_val_loss;
  r.tags = s.tags;
  r.budget = s.flop_budget();
  if (s.config.contains("train") && s.config["train"].contains("flop_convention") &&
      s.config["train"]["flop_convention"].is_string())
    r.budget_convention = s.config["train"]["flop_convention"].get<std::string>();
  for (const MetricPoint& m : read_metrics(dir)) {
    CurvePoint c;
    c.tokens = m.tokens;
    c.loss = m.loss;
    if (auto it = m.flops.find(conv); it != m.flops.end()) c.flops = it->second;
    (m.kind == MetricKind::train ? r.train : r.eval).push_back(c);
  }
  return r;
}

RunSet read_runs(const std::string& path, const RunReadOptions& opts) {
  if (!fs::is_directory(path)) throw std::runtime_error(path + ": not a folder of runs");
  std::vector<fs::path> dirs;
  find_runs(path, dirs);
  if (dirs.empty())
    throw std::runtime_error(path +
                             ": no run folders (folders with summary.json or metrics.jsonl)");
  RunSet set;
  for (const auto& d : dirs) {
    if (!fs::exists(d / "summary.json")) {
      set.unfinished.push_back(d.filename().string());
      set.left_out.push_back(d.filename().string() +
                             " (no summary.json: running, killed or not started)");
      continue;
    }
    Run run = read_run(d.string(), opts.flop_convention);
    if (!is_complete(run.status)) {
      set.notes.push_back("run " + run.name + " " + why_left_out(run) + "; left out of the fits");
      set.left_out.push_back(run.name + " (" + why_left_out(run) + ")");
    }
    set.runs.push_back(std::move(run));
  }
  if (!set.unfinished.empty() && !opts.allow_missing_summary) {
    std::string names;
    for (const auto& n : set.unfinished) names += (names.empty() ? "" : ", ") + n;
    throw std::runtime_error(path + ": " + std::to_string(set.unfinished.size()) +
                             " run(s) without summary.json (unfinished?): " + names +
                             " (pass --skip-unfinished to fit the others)");
  }
  if (set.runs.empty()) throw std::runtime_error(path + ": no run has a summary.json yet");
  return set;
}

namespace {

// tags.unique_tokens: a positive number (or a string holding one, "25e9"); 0 when absent.
double unique_tokens_tag(const Run& r) {
  const std::optional<double> v = tag_number(r, "unique_tokens");
  if (v && !(*v > 0))
    throw std::runtime_error("run " + r.name + ": tags.unique_tokens = " +
                             tag_text(r, "unique_tokens") + " must be a positive number");
  return v.value_or(0);
}

}  // namespace

std::vector<Point> run_points(const std::vector<Run>& runs, ParamCount count) {
  std::vector<Point> out;
  for (const auto& r : runs) {
    if (!is_complete(r.status)) continue;
    Point p{run_params(r, count), r.tokens, r.flops, r.final_val_loss, r.name, r.budget};
    p.U = unique_tokens_tag(r);
    p.group = tag_text(r, "point");
    p.trunk = tag_text(r, "trunk").empty() ? r.name : tag_text(r, "trunk");
    if (const auto seed = tag_number(r, "seed")) p.seed = static_cast<int>(*seed);
    if (!(p.N > 0) || !(p.D > 0) || !(p.C > 0) || !(p.loss > 0))
      throw std::runtime_error("run " + r.name + ": N, D, C and final_val_loss must be positive");
    out.push_back(p);
  }
  return out;
}

}  // namespace scalelab
