#include "experiments/sweep_status.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/log.h"
#include "common/text.h"
#include "experiments/process.h"
#include "experiments/run_state.h"
#include "experiments/sweep_progress.h"
#include "experiments/slurm_submit.h"
#include "runfolder/checkpoints.h"
#include "runfolder/folder.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

std::string lowercase(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A runner (here or on a node) holds the run's lock while it trains.
bool locked_by_a_runner(const fs::path& dir) {
  if (!fs::exists(dir / ".lock")) return false;
  const int fd = try_lock_file((dir / ".lock").string());
  if (fd < 0) return true;
  ::close(fd);
  return false;
}

std::string folder_standing(const fs::path& dir, const FolderInfo& info) {
  if (locked_by_a_runner(dir)) return "running";
  switch (info.state) {
    case FolderState::finished:
      return "done";
    case FolderState::diverged:
      return "diverged";
    case FolderState::resumable:
      return fs::exists(dir / "error.txt") ? "failed" : "resumable";
    case FolderState::empty:
      break;
  }
  return fs::exists(dir / "error.txt") ? "failed" : "new";
}

// "ID_TASK|STATE" lines of squeue (-r: one line per array task) or sacct (-P) into `states`.
void read_states(const std::string& output, std::map<std::string, std::string>* states) {
  size_t start = 0;
  while (start < output.size()) {
    const size_t end = std::min(output.find('\n', start), output.size());
    const std::string line = output.substr(start, end - start);
    start = end + 1;
    const size_t bar = line.find('|');
    if (bar == std::string::npos) continue;
    std::string state = lowercase(line.substr(bar + 1));
    state = state.substr(0, state.find(' '));  // sacct: "cancelled by 0"
    states->emplace(line.substr(0, bar), state);
  }
}

// A running run is as far as its newest metrics line, which is newer than its checkpoints.
void add_progress(const Run& r, const fs::path& dir, RunStanding* s) {
  const auto last = last_metrics(dir.string());
  if (!last) return;
  s->steps = last->step;
  s->loss = last->loss;
  s->val_loss = last->val_loss;
  s->tokens_done = last->tokens;
  s->tokens_per_s = last->run_tokens_per_s();
  if (s->tokens_per_s > 0) s->eta_s = std::max(0.0, r.tokens - last->tokens) / s->tokens_per_s;
}

std::string number_or_dash(double v, const char* format) {
  return std::isfinite(v) ? log::format(format, v) : "-";
}

}  // namespace

std::vector<RunStanding> sweep_standing(const std::vector<Run>& runs, const std::string& out_root,
                                        std::string* slurm_note) {
  std::vector<RunStanding> rows;
  std::map<std::string, size_t> row_of;
  for (const auto& r : runs) {
    const fs::path dir = fs::path(out_root) / r.name;
    const FolderInfo info = inspect_run_folder(dir.string());
    RunStanding s;
    s.name = r.name;
    s.folder = folder_standing(dir, info);
    s.final_val_loss = info.state == FolderState::finished ? info.final_val_loss : std::nan("");
    s.loss = s.val_loss = s.eta_s = std::nan("");
    s.steps = info.steps;
    if (s.steps == 0 && info.has_checkpoint)  // no summary yet: as far as the newest checkpoint
      if (const auto newest = newest_checkpoint(dir.string())) s.steps = checkpoint_step(*newest);
    s.total_steps = r.steps;
    if (s.folder == "running") add_progress(r, dir, &s);
    row_of[r.name] = rows.size();
    rows.push_back(s);
  }
  // The newest submission of each run names its array task.
  const nlohmann::json jobs = read_slurm_jobs(out_root);
  std::string ids;
  for (const auto& job : jobs["jobs"]) {
    const std::string id = job.value("job_id", "");
    ids += (ids.empty() ? "" : ",") + id;
    for (const auto& [index, name] : job["tasks"].items())
      if (auto it = row_of.find(name.get<std::string>()); it != row_of.end())
        rows[it->second].job = id + "_" + index;
  }
  *slurm_note = "";
  if (ids.empty()) {
    *slurm_note =
        "not submitted to Slurm (no " + (fs::path(out_root) / "slurm_jobs.json").string() + ")";
    return rows;
  }
  if (find_in_path("squeue").empty()) {
    *slurm_note = "squeue is not on PATH: states from the run folders only";
    return rows;
  }
  std::map<std::string, std::string> states;
  // squeue knows queued and running tasks (and ended ones for MinJobAge); sacct, where
  // accounting is on, knows the ended ones too. squeue wins: it is the current state.
  const CommandResult queue = run_command(
      {"squeue", "--noheader", "--array", "--states=all", "--jobs=" + ids, "--format=%i|%T"});
  if (queue.exit_code == 0) read_states(queue.output, &states);
  if (!find_in_path("sacct").empty()) {
    const CommandResult acct = run_command({"sacct", "--noheader", "--parsable2", "--allocations",
                                            "--jobs=" + ids, "--format=JobID,State"});
    if (acct.exit_code == 0) read_states(acct.output, &states);
  }
  if (queue.exit_code != 0 && states.empty())  // ended longer ago than the cluster's MinJobAge
    *slurm_note = "Slurm no longer knows job(s) " + ids +
                  " (squeue: " + queue.output.substr(0, queue.output.find('\n')) +
                  "): states from the run folders only";
  for (auto& row : rows)
    if (auto it = states.find(row.job); it != states.end()) row.slurm_state = it->second;
  return rows;
}

std::string standing_table(const std::vector<RunStanding>& rows) {
  size_t width = 3;
  for (const auto& r : rows) width = std::max(width, r.name.size());
  std::string t = log::format("%-*s  %-9s  %-12s  %-10s  %11s  %7s  %9s  %7s\n", int(width), "run",
                              "folder", "slurm job", "slurm", "steps", "loss", "val_loss", "eta");
  std::map<std::string, int> counts;
  for (const auto& r : rows) {
    counts[r.folder] += 1;
    // A finished run's val_loss is its final one; a running run's, its newest evaluation's.
    const double val = std::isfinite(r.final_val_loss) ? r.final_val_loss : r.val_loss;
    t += log::format("%-*s  %-9s  %-12s  %-10s  %11s  %7s  %9s  %7s\n", int(width), r.name.c_str(),
                     r.folder.c_str(), r.job.empty() ? "-" : r.job.c_str(),
                     r.slurm_state.empty() ? "-" : r.slurm_state.c_str(),
                     log::format("%ld/%ld", (long)r.steps, (long)r.total_steps).c_str(),
                     number_or_dash(r.loss, "%.4f").c_str(), number_or_dash(val, "%.4f").c_str(),
                     std::isfinite(r.eta_s) ? duration_text(r.eta_s).c_str() : "-");
  }
  std::string line;
  for (const auto& [state, n] : counts)
    line += (line.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  return t + line + "\n";
}

std::string standing_progress(const std::vector<Run>& runs, const std::vector<RunStanding>& rows,
                              const std::string& out_root) {
  std::ifstream in(fs::path(out_root) / "sweep_state.json");
  const auto state = nlohmann::json::parse(in, nullptr, false);
  std::map<std::string, nlohmann::json> trained_with;
  int parallel = state.is_object() ? state.value("jobs", 1) : 1;
  if (state.is_object() && state.contains("runs") && state["runs"].is_array())
    for (const auto& r : state["runs"])
      if (r.is_object() && r.contains("trained_with") && r["trained_with"].is_object())
        trained_with[r.value("name", "")] = r["trained_with"];
  std::vector<RunProgress> progress;
  std::map<std::string, int> index;
  int running = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    const RunStanding& s = rows[i];
    RunProgress p;
    p.run = &r;
    if (s.folder == "done" || s.folder == "failed" || s.folder == "diverged") {
      p.phase = RunProgress::Phase::ended;
      p.failed = s.folder != "done";
      const double process_s =
          trained_with.count(r.name) ? trained_with[r.name].value("process_s", 0.0) : 0.0;
      if (process_s > 0)
        p.tokens_per_s =
            r.tokens * double(r.own_steps()) / double(std::max<int64_t>(1, r.steps)) / process_s;
    } else if (s.folder == "running") {
      p.phase = RunProgress::Phase::running;
      p.tokens_done = s.tokens_done;
      p.tokens_per_s = s.tokens_per_s;
      ++running;
    }
    if (auto it = index.find(r.parent); it != index.end()) p.parent = it->second;
    index[r.name] = int(progress.size());
    progress.push_back(p);
  }
  parallel = std::max({1, parallel, running});
  return progress_line(estimate_progress(progress, parallel), parallel);
}

nlohmann::json standing_json(const std::vector<RunStanding>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : rows)
    out.push_back(
        {{"name", r.name},
         {"folder", r.folder},
         {"slurm_job", r.job},
         {"slurm_state", r.slurm_state},
         {"steps", r.steps},
         {"total_steps", r.total_steps},
         {"loss", std::isfinite(r.loss) ? nlohmann::json(r.loss) : nlohmann::json()},
         {"val_loss", std::isfinite(r.val_loss) ? nlohmann::json(r.val_loss) : nlohmann::json()},
         {"eta_s", std::isfinite(r.eta_s) ? nlohmann::json(r.eta_s) : nlohmann::json()},
         {"final_val_loss",
          std::isfinite(r.final_val_loss) ? nlohmann::json(r.final_val_loss) : nlohmann::json()}});
  return out;
}

}  // namespace scalelab::sweep
