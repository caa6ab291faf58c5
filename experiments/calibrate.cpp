#include "experiments/calibrate.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "experiments/run_changes.h"
#include "experiments/runner.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

// The rates of one folder's runs trained here under this parallelism; notes for the others.
std::vector<RatePoint> folder_rates(const std::string& root, int jobs, int threads,
                                    std::vector<std::string>* notes) {
  const fs::path state_path = fs::path(root) / "sweep_state.json";
  std::ifstream in(state_path);
  if (!in) return {};
  const auto state = nlohmann::json::parse(in, nullptr, false);
  if (state.is_discarded() || !state.is_object() || !state.contains("runs") ||
      !state["runs"].is_array()) {
    notes->push_back(state_path.string() + ": not readable");
    return {};
  }
  std::vector<RatePoint> out;
  int elsewhere = 0, other_parallelism = 0;
  for (const auto& r : state["runs"]) {
    if (!r.is_object() || !r.contains("trained_with") || !r["trained_with"].is_object()) continue;
    const auto& w = r["trained_with"];
    if (w.value("host", "") != host_name()) {
      ++elsewhere;
      continue;
    }
    if (w.value("jobs", 0) != jobs || w.value("threads_per_job", 0) != threads) {
      ++other_parallelism;
      continue;
    }
    const auto trained = read_trained((fs::path(root) / r.value("name", "")).string());
    const double process_s = w.value("process_s", 0.0);
    if (!trained || trained->branch || trained->tokens <= 0 || trained->chinchilla_flops <= 0 ||
        process_s <= 0)
      continue;
    out.push_back({trained->chinchilla_flops / trained->tokens, trained->tokens / process_s});
  }
  if (elsewhere > 0)
    notes->push_back(
        log::format("%s: %d run(s) trained on another machine, not used", root.c_str(), elsewhere));
  if (other_parallelism > 0)
    notes->push_back(log::format(
        "%s: %d run(s) trained under other parallelism than %d at once x %d thread(s), not used",
        root.c_str(), other_parallelism, jobs, threads));
  return out;
}

}  // namespace

Calibration calibrate_from_finished(const std::vector<std::string>& out_roots, int jobs,
                                    int threads) {
  Calibration c;
  std::vector<RatePoint> points;
  std::string used;
  for (const auto& root : out_roots) {
    const auto rates = folder_rates(root, jobs, threads, &c.notes);
    if (rates.empty()) continue;
    points.insert(points.end(), rates.begin(), rates.end());
    used += (used.empty() ? "" : ", ") + root + " (" + std::to_string(rates.size()) + ")";
  }
  if (points.empty()) return c;
  Throughput t = fit_throughput(points);
  t.includes_evals = true;
  t.source = log::format(
      "calibrated from %zu run(s) finished on this machine, %d at once x %d thread(s), in %s: "
      "their measured whole-run tokens/s, evaluations and start-up included",
      points.size(), jobs, threads, used.c_str());
  c.throughput = t;
  return c;
}

}  // namespace scalelab::sweep
