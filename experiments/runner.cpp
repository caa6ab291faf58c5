#include "experiments/runner.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <map>
#include <thread>

#include "common/log.h"
#include "common/text.h"
#include "core/packing.h"
#include "experiments/scheduler.h"
#include "experiments/template.h"
#include "runfolder/checkpoints.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;

TrainStart train_start(const Run& run, const std::string& out_root, bool resume,
                       const std::string& branch_checkpoint) {
  const fs::path dir = fs::path(out_root) / run.name;
  TrainStart t;
  t.config = (dir / "sweep_config.yaml").string();
  t.out = dir.string();
  t.resume = resume;
  if (!resume && run.branch_step >= 0)
    t.branch_from =
        branch_checkpoint.empty()
            ? checkpoint_path((fs::path(out_root) / run.parent).string(), run.branch_step)
            : branch_checkpoint;
  else if (!resume && !run.parent.empty())
    t.init_from = (fs::path(out_root) / run.parent).string();
  t.checkpoint_at = run.checkpoint_steps;
  return t;
}

std::vector<std::string> train_arguments(const Run& run, const std::string& out_root, bool resume,
                                         const std::string& branch_checkpoint) {
  const TrainStart t = train_start(run, out_root, resume, branch_checkpoint);
  std::vector<std::string> args = {"train", t.config, "--out", t.out};
  if (t.resume) args.push_back("--resume");
  if (!t.branch_from.empty()) args.insert(args.end(), {"--branch-from", t.branch_from});
  if (!t.init_from.empty()) args.insert(args.end(), {"--init-from", t.init_from});
  if (!t.checkpoint_at.empty()) {
    std::string steps;
    for (int64_t s : t.checkpoint_at) steps += (steps.empty() ? "" : ",") + std::to_string(s);
    args.insert(args.end(), {"--checkpoint-at", steps});
  }
  for (const auto& [k, v] : run.tags) args.insert(args.end(), {"--tag", k + "=" + v});
  return args;
}

std::string host_name() {
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

int threads_per_job(const RunnerOptions& o) {
  if (o.threads_per_job > 0) return o.threads_per_job;
  cpu_set_t set;
  int cores = int(std::thread::hardware_concurrency());
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
  return std::max(1, cores / std::max(1, o.jobs));
}

bool trains_on_cpu(const Run& run, const RunnerOptions& o) {
  return run.config.train.device == "cpu" || (o.gpus.empty() && run.config.train.device == "auto");
}

int64_t pack_capacity(const Run& run, const RunnerOptions& o) {
  if (o.max_pack <= 1 || run.gpus_per_run > 1) return 1;
  return max_pack_size(run.config, trains_on_cpu(run, o) ? available_host_memory() : 0, o.max_pack);
}

std::vector<Outcome> run_all(const std::vector<Run>& runs, const RunnerOptions& options,
                             int* stopped_by_signal) {
  SweepScheduler scheduler(runs, options);
  return scheduler.run(stopped_by_signal);
}

std::string outcome_table(const std::vector<Run>& runs, const std::vector<Outcome>& outcomes) {
  std::map<std::string, const Run*> by_name;
  for (const auto& r : runs) by_name[r.name] = &r;
  size_t width = 3;
  for (const auto& o : outcomes) width = std::max(width, o.name.size());
  std::string t = log::format("%-*s  %-8s  %10s  %10s  %9s  %8s  %s\n", int(width), "run", "status",
                              "N", "D", "val_loss", "time", "note");
  std::map<OutcomeStatus, int> counts;
  int kept_changed = 0;
  for (const auto& o : outcomes) {
    kept_changed += o.kept_changed;
    const Run* r = by_name.count(o.name) ? by_name[o.name] : nullptr;
    counts[o.status] += 1;
    // N and D as trained when the folder says (a kept run may differ from the sweep file now).
    const double n = o.trained_params > 0 ? double(o.trained_params)
                     : r                  ? double(r->params.total)
                                          : 0;
    const double d = o.trained_tokens > 0 ? o.trained_tokens : r ? r->tokens : 0;
    t += log::format(
        "%-*s  %-8s  %10s  %10s  %9s  %8s  %s\n", int(width), o.name.c_str(),
        enum_name(o.status).c_str(), n > 0 ? format_number(n).c_str() : "-",
        d > 0 ? log::format("%.3g", d).c_str() : "-",
        std::isfinite(o.final_val_loss) ? log::format("%.4f", o.final_val_loss).c_str() : "-",
        (o.wall_time_s > 0 ? duration_text(o.wall_time_s) : "-").c_str(), o.note.c_str());
  }
  std::string line;
  for (const auto& [status, n] : counts)
    line += (line.empty() ? "" : ", ") + std::to_string(n) + " " + enum_name(status);
  if (kept_changed > 0)
    line += "\n" + std::to_string(kept_changed) +
            " finished run(s) kept with other settings than the sweep's now (see their notes): "
            "`--rerun-changed` trains them again";
  return t + line + "\n";
}

nlohmann::json outcome_json(const std::vector<Outcome>& outcomes, const RunnerOptions& o) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& x : outcomes)
    runs.push_back(
        {{"name", x.name},
         {"status", enum_name(x.status)},
         {"final_val_loss",
          std::isfinite(x.final_val_loss) ? nlohmann::json(x.final_val_loss) : nlohmann::json()},
         {"wall_time_s", x.wall_time_s},
         {"trained_params", x.trained_params},
         {"trained_tokens", x.trained_tokens},
         {"tokens_per_s", x.tokens_per_s},
         {"process_s", x.process_s},
         {"trained_with", x.trained_with},
         {"kept_changed", x.kept_changed},
         {"note", x.note}});
  return {{"sweep", o.sweep_path},
          {"out_root", o.out_root},
          {"host", host_name()},
          {"jobs", o.gpus.empty() ? o.jobs : int(o.gpus.size())},
          {"threads_per_job", o.gpus.empty() ? threads_per_job(o) : 0},
          {"updated", std::time(nullptr)},
          {"runs", runs}};
}

}  // namespace scalelab::sweep
