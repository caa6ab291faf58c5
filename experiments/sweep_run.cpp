#include "experiments/sweep_run.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "common/log.h"
#include "common/stop_signals.h"
#include "experiments/branching.h"
#include "experiments/dry_run.h"
#include "experiments/gpus.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;

LoadedSweep load_sweep(const std::string& file, const std::vector<std::string>& sets,
                       const std::string& out_root_flag) {
  Spec spec = load_spec(file);
  apply_sets(spec, sets);
  LoadedSweep out{file, expand(spec), out_root_flag};
  if (out.out_root.empty()) out.out_root = spec.out_root;
  if (out.out_root.empty()) out.out_root = "runs/" + fs::path(file).stem().string();
  return out;
}

std::vector<int> parse_gpus(const std::string& list) {
  std::vector<int> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string item = list.substr(start, comma - start);
    char* end = nullptr;
    const long id = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || id < 0)
      throw std::runtime_error("--gpus " + list + ": expected GPU ids like 0,1,2");
    out.push_back(int(id));
    start = comma + 1;
  }
  return out;
}

void require_datasets(const std::vector<Run>& runs, const std::vector<std::string>& only) {
  std::set<std::string> missing;
  for (const auto& r : runs) {
    if (!only.empty() && std::find(only.begin(), only.end(), r.name) == only.end()) continue;
    if (!fs::exists(fs::path(r.config.data.path) / "manifest.json"))
      missing.insert(r.config.data.path);
  }
  if (missing.empty()) return;
  std::string list;
  for (const auto& m : missing)
    list += (list.empty() ? "" : ", ") + (m.empty() ? std::string("(data.path not set)") : m);
  throw std::runtime_error(
      "dataset(s) not found: " + list +
      " (no manifest.json; make them with `scalelab prepare`, see the study's README, or set "
      "SCALELAB_DATA to the folder that holds them)");
}

int SweepResult::exit_code() const {
  if (stop_signal != 0)
    return 128 + stop_signal;  // as `scalelab train` exits: a Slurm task can tell
  return n_unfinished > 0 ? 1 : 0;
}

std::string SweepResult::verdict() const {
  if (stop_signal != 0)
    return "[sweep] stopped by " + signal_name(stop_signal) +
           ": the runs it stopped checkpointed; run the sweep again to resume them";
  if (n_unfinished > 0)
    return std::to_string(n_unfinished) + " of " + std::to_string(outcomes.size()) +
           " runs did not finish (see the table and each run's error.txt); the same command "
           "retries the failed ones";
  return "";
}

SweepResult train_sweep(const LoadedSweep& sweep, const RunnerOptions& options) {
  require_datasets(sweep.runs, options.only);
  require_gpus(options.gpus);
  if (const std::string s = savings_text(compute_savings(sweep.runs)); !s.empty())
    std::fprintf(stderr, "[sweep] %s", s.c_str());
  SweepResult r;
  r.outcomes = run_all(sweep.runs, options, &r.stop_signal);
  for (const auto& x : r.outcomes) {
    r.n_unfinished += x.status == OutcomeStatus::failed || x.status == OutcomeStatus::blocked ||
                      x.status == OutcomeStatus::diverged;
    r.n_diverged += x.status == OutcomeStatus::diverged;
  }
  return r;
}

}  // namespace scalelab::sweep
