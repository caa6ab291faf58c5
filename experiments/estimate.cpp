#include "experiments/estimate.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/log.h"
#include "common/text.h"
#include "experiments/branching.h"
#include "experiments/process.h"
#include "experiments/run_state.h"
#include "runfolder/metrics.h"
#include "experiments/template.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

double cost_per_token(const Run& r) {
  return training_flops_per_token(r.config.model, FlopConvention::chinchilla);
}

// The last logged training throughput of a run folder (steps after the first interval: warm).
std::optional<double> last_tokens_per_s(const fs::path& dir) {
  std::optional<double> out;
  for (const MetricPoint& p : read_metrics(dir.string()))
    if (p.kind == MetricKind::train && p.tokens_per_s > 0) out = p.tokens_per_s;
  return out;
}

std::optional<double> measure_one(const Run& r, const std::string& binary, int threads,
                                  double timeout_s, const fs::path& scratch, std::string* why) {
  const fs::path dir = scratch / r.name;
  fs::create_directories(dir);
  { std::ofstream(dir / "sweep_config.yaml") << to_yaml(r.config); }
  // Twenty steps, logged every ten: the second interval is past the first steps' warm-up.
  ChildSpec spec{{binary,
                  "train",
                  (dir / "sweep_config.yaml").string(),
                  "--out",
                  (dir / "run").string(),
                  "--set",
                  "train.steps=20",
                  "--set",
                  "train.tokens=0",
                  "--set",
                  "train.flops=0",
                  "--set",
                  "log.every=10",
                  "--set",
                  "eval.every=0",
                  "--set",
                  "eval.n_batches=1",
                  "--set",
                  "checkpoint.keep=1",
                  "--set",
                  "train.threads=" + std::to_string(threads)},
                 {{"OMP_NUM_THREADS", std::to_string(threads)}},
                 (dir / "output.txt").string()};
  const pid_t pid = spawn(spec);
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
        timeout_s) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, &status, 0);
      *why = "measuring " + r.name + " took over " + format_number(timeout_s) +
             " s (pass --tokens-per-s)";
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto tps = last_tokens_per_s(dir / "run");
  if (!decode_wait_status(status).ok || !tps) {
    std::string out = last_lines((dir / "output.txt").string(), 1);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    *why = "measuring " + r.name + " failed: " + out;
    return std::nullopt;
  }
  return tps;
}

std::string state_of(const Run& r, const std::string& out_root) {
  switch (inspect_run_folder((fs::path(out_root) / r.name).string()).state) {
    case FolderState::finished:
      return "done";
    case FolderState::diverged:
      return "diverged";
    case FolderState::resumable:
      return "resume";
    case FolderState::empty:
      break;
  }
  return "new";
}

double total_seconds(const std::vector<Run>& runs, const std::string& out_root,
                     const Throughput& t) {
  double s = 0;
  for (const auto& r : runs)
    if (state_of(r, out_root) != "done") s += estimate_seconds(r, t);
  return s;
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

std::optional<Throughput> measure_throughput(const std::vector<Run>& runs,
                                             const std::string& binary, int threads,
                                             double timeout_s, std::string* why) {
  auto by_cost = [](const Run& a, const Run& b) { return cost_per_token(a) < cost_per_token(b); };
  const Run& small = *std::min_element(runs.begin(), runs.end(), by_cost);
  const Run& large = *std::max_element(runs.begin(), runs.end(), by_cost);
  const fs::path scratch =
      fs::temp_directory_path() / ("scalelab_sweep_measure_" + std::to_string(::getpid()));
  fs::remove_all(scratch);
  Throughput t;
  auto small_tps = measure_one(small, binary, threads, timeout_s, scratch, why);
  std::optional<double> large_tps = small_tps;
  if (small_tps && cost_per_token(large) > cost_per_token(small))
    large_tps = measure_one(large, binary, threads, timeout_s, scratch, why);
  fs::remove_all(scratch);
  if (!small_tps || !large_tps) return std::nullopt;
  t.small_flops_per_token = cost_per_token(small);
  t.small_tokens_per_s = *small_tps;
  t.large_flops_per_token = cost_per_token(large);
  t.large_tokens_per_s = *large_tps;
  t.source = log::format("measured: %s %.0f tok/s, %s %.0f tok/s (%d thread(s))",
                         small.name.c_str(), *small_tps, large.name.c_str(), *large_tps, threads);
  return t;
}

Throughput given_throughput(const std::vector<Run>& runs, double tokens_per_s) {
  auto by_cost = [](const Run& a, const Run& b) { return cost_per_token(a) < cost_per_token(b); };
  const Run& small = *std::min_element(runs.begin(), runs.end(), by_cost);
  Throughput t;
  t.small_flops_per_token = t.large_flops_per_token = cost_per_token(small);
  t.small_tokens_per_s = t.large_tokens_per_s = tokens_per_s;
  t.source = log::format("--tokens-per-s %.0f on %s, the same FLOP rate for every size",
                         tokens_per_s, small.name.c_str());
  return t;
}

double estimate_seconds(const Run& r, const Throughput& t) {
  const double f = cost_per_token(r);
  const double rate_small = t.small_tokens_per_s * t.small_flops_per_token;
  const double rate_large = t.large_tokens_per_s * t.large_flops_per_token;
  double rate = rate_small;
  if (t.large_flops_per_token > t.small_flops_per_token) {
    const double x = std::clamp(std::log(f / t.small_flops_per_token) /
                                    std::log(t.large_flops_per_token / t.small_flops_per_token),
                                0.0, 1.0);
    rate = std::exp(std::log(rate_small) + x * (std::log(rate_large) - std::log(rate_small)));
  }
  // Evaluations: forward only, about a third of a training token's work.
  const auto& c = r.config;
  const double evals = (c.eval.every > 0 ? double(r.steps / c.eval.every) : 0) + 1;
  const double eval_tokens =
      evals * c.eval.n_batches *
      double(c.eval.batch_size > 0 ? c.eval.batch_size : c.train.batch_size) *
      double(c.model.block_size);
  const double own_tokens =
      r.steps > 0 ? r.tokens * double(r.own_steps()) / double(r.steps) : r.tokens;
  return (own_tokens + eval_tokens / 3) * f / rate;
}

std::string dry_run_table(const std::vector<Run>& runs, const std::string& out_root,
                          const std::optional<Throughput>& t, int jobs) {
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
                       state_of(r, out_root).c_str(), extra.c_str());
    total_c += r.flops;
  }
  for (const auto& r : runs)
    for (const auto& w : r.warnings) out += "warning: " + r.name + ": " + w + "\n";
  out += log::format("%zu runs into %s; C under each run's train.flop_convention (total %.3g)\n",
                     runs.size(), out_root.c_str(), total_c);
  out += savings_text(compute_savings(runs));
  if (t)
    out += log::format("estimated time for the runs not done: %s with %d job(s) at once (%s)\n",
                       duration_text(total_seconds(runs, out_root, *t) / std::max(1, jobs)).c_str(),
                       jobs, t->source.c_str());
  return out;
}

nlohmann::json dry_run_json(const std::vector<Run>& runs, const std::string& out_root,
                            const std::optional<Throughput>& t, int jobs) {
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
         {"state", state_of(r, out_root)},
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
          {"jobs", jobs},
          {"throughput", t ? nlohmann::json(t->source) : nlohmann::json()},
          {"estimated_total_s",
           t ? nlohmann::json(total_seconds(runs, out_root, *t) / std::max(1, jobs))
             : nlohmann::json()}};
}

}  // namespace scalelab::sweep
