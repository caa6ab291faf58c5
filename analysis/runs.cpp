// Run folders as written by `scalelab train` (docs/formats.md: summary.json, metrics.jsonl).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "analysis/points.h"

namespace fs = std::filesystem;

namespace scalelab {
namespace {

bool is_run_folder(const fs::path& p) {
  return fs::exists(p / "summary.json") || fs::exists(p / "metrics.jsonl") || fs::exists(p / "config.yaml");
}

double number_at(const nlohmann::json& j, const std::string& key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_number())
    throw std::runtime_error(where + ": missing number '" + key + "'");
  return j[key].get<double>();
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

}  // namespace

ParamCount parse_param_count(const std::string& s) {
  if (s == "total") return ParamCount::total;
  if (s == "non-embedding" || s == "non_embedding") return ParamCount::non_embedding;
  throw std::runtime_error("--params " + s + ": expected total or non-embedding");
}

double run_params(const Run& r, ParamCount count) {
  return count == ParamCount::total ? r.params_total : r.params_non_embedding;
}

Run read_run(const std::string& dir, const std::string& conv) {
  Run r;
  r.path = dir;
  r.name = fs::path(dir).filename().string();
  const std::string sp = (fs::path(dir) / "summary.json").string();
  std::ifstream in(sp);
  if (!in) throw std::runtime_error(sp + ": missing (the run has not finished)");
  nlohmann::json s;
  try {
    s = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(sp + ": not valid JSON: " + e.what());
  }
  r.name = s.value("run_name", r.name);
  r.status = s.value("status", "finished");
  const auto params = s.value("params", nlohmann::json::object());
  r.params_total = number_at(params, "total", sp + ": params");
  r.params_non_embedding = number_at(params, "non_embedding", sp + ": params");
  r.tokens = number_at(s, "tokens", sp);
  const auto flops = s.value("flops", nlohmann::json::object());
  if (!flops.contains(conv))
    throw std::runtime_error(sp + ": no flops." + conv + " (--flop-convention); has " + flops.dump());
  r.flops = flops[conv].get<double>();
  r.final_val_loss = number_at(s, "final_val_loss", sp);
  r.best_val_loss = s.contains("best_val_loss") && s["best_val_loss"].is_number()
                        ? s["best_val_loss"].get<double>() : r.final_val_loss;
  if (s.contains("tags") && s["tags"].is_object()) r.tags = s["tags"];
  const auto* budget = s.contains("config") ? &s["config"] : nullptr;
  if (budget && budget->contains("train") && (*budget)["train"].contains("flops") &&
      (*budget)["train"]["flops"].is_number())
    r.budget = (*budget)["train"]["flops"].get<double>();
  if (r.budget <= 0 && r.tags.contains("budget") && r.tags["budget"].is_number())
    r.budget = r.tags["budget"].get<double>();

  std::ifstream m((fs::path(dir) / "metrics.jsonl").string());
  std::string line;
  for (int n = 1; m && std::getline(m, line); ++n) {
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception&) {
      continue;  // a line cut short by a crash; the summary is authoritative
    }
    const std::string kind = j.value("kind", "");
    const char* key = kind == "train" ? "loss" : kind == "eval" ? "val_loss" : nullptr;
    if (!key || !j.contains(key) || !j[key].is_number()) continue;
    CurvePoint c;
    c.tokens = j.value("tokens", 0.0);
    c.loss = j[key].get<double>();
    if (j.contains("flops") && j["flops"].is_object() && j["flops"].contains(conv))
      c.flops = j["flops"][conv].get<double>();
    (kind == "train" ? r.train : r.eval).push_back(c);
  }
  return r;
}

RunSet read_runs(const std::string& path, const RunReadOptions& opts) {
  if (!fs::is_directory(path)) throw std::runtime_error(path + ": not a folder of runs");
  std::vector<fs::path> dirs;
  find_runs(path, dirs);
  if (dirs.empty())
    throw std::runtime_error(path + ": no run folders (folders with summary.json or metrics.jsonl)");
  RunSet set;
  for (const auto& d : dirs) {
    if (!fs::exists(d / "summary.json")) {
      set.unfinished.push_back(d.filename().string());
      continue;
    }
    set.runs.push_back(read_run(d.string(), opts.flop_convention));
    if (set.runs.back().status == "diverged")
      set.notes.push_back("run " + set.runs.back().name + " diverged; left out of the fits");
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

std::vector<Point> run_points(const std::vector<Run>& runs, ParamCount count) {
  std::vector<Point> out;
  for (const auto& r : runs) {
    if (r.status == "diverged") continue;
    Point p{run_params(r, count), r.tokens, r.flops, r.final_val_loss, r.name, r.budget};
    if (!(p.N > 0) || !(p.D > 0) || !(p.C > 0) || !(p.loss > 0))
      throw std::runtime_error("run " + r.name + ": N, D, C and final_val_loss must be positive");
    out.push_back(p);
  }
  return out;
}

}  // namespace scalelab
