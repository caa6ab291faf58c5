#include "experiments/slurm_submit.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "common/checked_io.h"
#include "experiments/process.h"
#include "experiments/sweep_status.h"
#include "runfolder/folder.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

// The last non-empty line of a command's output, without sbatch's "sbatch: error: " prefixes.
std::string error_line(const std::string& output) {
  std::string last;
  size_t start = 0;
  while (start < output.size()) {
    const size_t end = std::min(output.find('\n', start), output.size());
    if (end > start) last = output.substr(start, end - start);
    start = end + 1;
  }
  for (const std::string prefix : {"sbatch: error: ", "Batch job submission failed: "})
    if (last.rfind(prefix, 0) == 0) last = last.substr(prefix.size());
  return last.empty() ? "(no output)" : last;
}

// The partitions named by --partition=A,B / --partition A / -p A among the #SBATCH options.
std::vector<std::string> partitions_asked(const std::vector<std::string>& opts) {
  std::vector<std::string> out;
  for (size_t i = 0; i < opts.size(); ++i) {
    std::string value;
    if (opts[i].rfind("--partition=", 0) == 0)
      value = opts[i].substr(12);
    else if (opts[i].rfind("-p", 0) == 0 && opts[i].size() > 2)
      value = opts[i].substr(opts[i][2] == '=' || opts[i][2] == ' ' ? 3 : 2);
    else if (opts[i].rfind("--partition ", 0) == 0)
      value = opts[i].substr(12);
    size_t start = 0;
    while (!value.empty() && start <= value.size()) {
      const size_t comma = std::min(value.find(',', start), value.size());
      if (comma > start) out.push_back(value.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

void require_partitions(const std::vector<std::string>& opts) {
  const auto asked = partitions_asked(opts);
  if (asked.empty()) return;
  const CommandResult r = run_command({"sinfo", "--noheader", "--format=%R"});
  if (r.exit_code != 0)
    throw std::runtime_error("--submit: sinfo cannot list the partitions: " + error_line(r.output));
  std::set<std::string> known;
  std::string list;
  size_t start = 0;
  while (start < r.output.size()) {
    const size_t end = std::min(r.output.find('\n', start), r.output.size());
    if (end > start && known.insert(r.output.substr(start, end - start)).second)
      list += (list.empty() ? "" : ", ") + r.output.substr(start, end - start);
    start = end + 1;
  }
  for (const auto& p : asked)
    if (!known.count(p))
      throw std::runtime_error("--slurm-opt: partition '" + p +
                               "' does not exist on this cluster (partitions: " + list +
                               "); nothing was submitted");
}

void append_record(const std::string& out_root, const std::vector<Run>& runs,
                   const std::string& script, const Submission& s) {
  nlohmann::json record = read_slurm_jobs(out_root);
  for (const auto& a : s.arrays) {
    nlohmann::json tasks = nlohmann::json::object();
    for (size_t i : a.indices) tasks[std::to_string(i)] = runs[i].name;
    record["jobs"].push_back({{"job_id", a.job_id},
                              {"script", script},
                              {"submitted", std::time(nullptr)},
                              {"tasks", tasks}});
  }
  write_file_atomic((fs::path(out_root) / "slurm_jobs.json").string(), record.dump(2) + "\n");
}

}  // namespace

std::string status_command(const std::string& sweep_file, const std::string& out_root_flag,
                           const std::vector<std::string>& sets) {
  std::vector<std::string> argv = {"scalelab", "sweep", sweep_file, "--status"};
  if (!out_root_flag.empty()) argv.insert(argv.end(), {"--out-root", out_root_flag});
  for (const auto& set : sets) argv.insert(argv.end(), {"--set", set});
  return shell_join(argv);
}

std::string array_ranges(const std::vector<size_t>& indices) {
  std::string out;
  for (size_t i = 0; i < indices.size();) {
    size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(indices[i]);
    if (j > i) out += "-" + std::to_string(indices[j]);
    i = j + 1;
  }
  return out;
}

nlohmann::json read_slurm_jobs(const std::string& out_root) {
  const fs::path path = fs::path(out_root) / "slurm_jobs.json";
  nlohmann::json j = {{"jobs", nlohmann::json::array()}};
  std::ifstream in(path);
  if (!in) return j;
  try {
    nlohmann::json read = nlohmann::json::parse(in);
    if (read.contains("jobs") && read["jobs"].is_array()) return read;
  } catch (const std::exception&) {
  }
  throw std::runtime_error(path.string() +
                           ": not a record of submitted jobs (delete it to start a new one)");
}

void require_submittable(const std::vector<std::string>& slurm_opts) {
  if (find_in_path("sbatch").empty())
    throw std::runtime_error(
        "--submit: sbatch is not on PATH, so this machine cannot submit to Slurm (on a cluster, "
        "run it on a login node; to try it here, start a one-node cluster with "
        "scripts/slurm_local.sh start); nothing was submitted");
  require_partitions(slurm_opts);
}

void require_known_runs(const std::vector<Run>& runs, const std::vector<std::string>& only) {
  for (const auto& name : only)
    if (std::none_of(runs.begin(), runs.end(), [&](const Run& r) { return r.name == name; }))
      throw std::runtime_error("--only " + name + ": no run of the sweep has that name");
}

Submission submit_sweep(const std::vector<Run>& runs, const std::string& script,
                        const std::string& out_root, const std::vector<std::string>& slurm_opts,
                        const std::vector<std::string>& only) {
  require_known_runs(runs, only);
  require_submittable(slurm_opts);

  // Runs whose earlier task is still queued or running: a second task would only wait for it.
  // Every state but the terminal ones counts as queued (held, requeued, completing...).
  static const std::set<std::string> kEnded = {"completed", "failed",    "cancelled",
                                               "timeout",   "node_fail", "out_of_memory",
                                               "preempted", "boot_fail", "deadline"};
  std::string note;
  std::map<std::string, std::string> in_queue;  // run name -> its queued task "JOBID_TASK"
  for (const auto& row : sweep_standing(runs, out_root, &note))
    if (!row.slurm_state.empty() && !kEnded.count(row.slurm_state) && !row.job.empty())
      in_queue[row.name] = row.job;

  // One array per dependency level (runs come sorted by level), finished runs left out.
  Submission s;
  std::vector<std::vector<size_t>> levels;
  // Per level, the tasks of it still queued from an earlier submission: the next levels wait for
  // them too, or a branch would start before its trunk.
  std::vector<std::vector<std::string>> queued_jobs;
  for (size_t i = 0; i < runs.size(); ++i) {
    const FolderState state =
        inspect_run_folder((fs::path(out_root) / runs[i].name).string()).state;
    if (i == 0 || runs[i].level != runs[i - 1].level)
      levels.emplace_back(), queued_jobs.emplace_back();
    if (!only.empty() && std::find(only.begin(), only.end(), runs[i].name) == only.end()) continue;
    if (state == FolderState::finished || state == FolderState::diverged) {
      s.skipped.push_back(runs[i].name);
    } else if (const auto q = in_queue.find(runs[i].name); q != in_queue.end()) {
      s.queued.push_back(runs[i].name);
      queued_jobs.back().push_back(q->second);
    } else {
      levels.back().push_back(i);
    }
  }
  std::string dependency;  // every earlier level's array and queued tasks, ':'-separated
  auto depend_on = [&](const std::string& job) {
    dependency += (dependency.empty() ? "" : ":") + job;
  };
  for (size_t level = 0; level < levels.size(); ++level) {
    const auto& indices = levels[level];
    if (indices.empty()) {
      for (const auto& job : queued_jobs[level]) depend_on(job);
      continue;
    }
    std::vector<std::string> argv = {"sbatch", "--parsable"};
    if (!dependency.empty()) argv.push_back("--dependency=afterany:" + dependency);
    argv.push_back("--array=" + array_ranges(indices));
    argv.push_back(script);
    const CommandResult r = run_command(argv);
    const std::string id = r.output.substr(0, r.output.find_first_of(";\n"));
    if (r.exit_code != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
      // Nothing half-submitted: the levels queued before this one go again.
      for (const auto& a : s.arrays) run_command({"scancel", a.job_id});
      throw std::runtime_error("--submit: sbatch refused the array: " + error_line(r.output) +
                               "; nothing was left queued");
    }
    s.arrays.push_back({id, indices});
    depend_on(id);
    for (const auto& job : queued_jobs[level]) depend_on(job);
  }
  if (!s.arrays.empty()) append_record(out_root, runs, script, s);
  return s;
}

}  // namespace scalelab::sweep
