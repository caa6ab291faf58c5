// scalelab sweep FILE [--jobs N | --gpus LIST] [--dry-run] [--slurm OUT.sbatch] [--submit]
//                     [--status] [--out-root DIR]
// ...
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "cli/commands.h"
#include "experiments/estimate.h"
#include "experiments/process.h"
#include "experiments/runner.h"
#include "experiments/gpus.h"
#include "experiments/slurm.h"
#include "experiments/slurm_submit.h"
#include "experiments/sweep_status.h"
#include "experiments/sweep.h"

namespace scalelab::cli {
namespace fs = std::filesystem;

namespace {

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

// A run cannot start without its dataset: say so before anything trains.
void require_datasets(const std::vector<sweep::Run>& runs, const std::vector<std::string>& only) {
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

}  // namespace

void add_sweep_command(CLI::App& app) {
  struct Options {
    std::string file, out_root, gpus, slurm, torchrun;
    std::vector<std::string> only, slurm_opts, sets;
    int jobs = 1, threads_per_job = 0, slurm_warning_s = 300;
    double tokens_per_s = 0, measure_timeout_s = 120;
    bool dry_run = false, no_measure = false, json = false, submit = false, status = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "sweep", "Run a grid of training runs (locally, on GPUs, or as a Slurm array)");
  cmd->add_option("file", o->file, "Sweep YAML (experiments/<study>/quick.yaml, ...)")->required();
  cmd->add_option("--jobs", o->jobs, "CPU runs at once")
      ->check(FinitePositive)
      ->capture_default_str();
  cmd->add_option("--gpus", o->gpus,
                  "GPU ids, e.g. 0,1,2,3: one run per GPU via CUDA_VISIBLE_DEVICES");
  cmd->add_option("--threads-per-job", o->threads_per_job,
                  "train.threads of CPU runs (default: cores / jobs)")
      ->check(FiniteNonNegative);
  cmd->add_option(
      "--out-root", o->out_root,
      "Folder of the run folders (default: the sweep's out_root, else runs/<file stem>)");
  cmd->add_option("--set", o->sets,
                  "key.path=value applied to every run (repeatable): over the base config and the "
                  "sweep's set:, before its grid (a key the grid varies is an error)");
  cmd->add_option("--only", o->only,
                  "Train only this run (repeatable); its parent must have finished");
  cmd->add_flag("--dry-run", o->dry_run,
                "List the runs with N, D, C and estimated time; train nothing");
  cmd->add_option("--tokens-per-s", o->tokens_per_s,
                  "Dry run: use this throughput (smallest model) instead of measuring")
      ->check(FinitePositive);
  cmd->add_flag("--no-measure", o->no_measure,
                "Dry run: no throughput measurement, no time estimate");
  cmd->add_option("--measure-timeout", o->measure_timeout_s,
                  "Dry run: seconds allowed per throughput measurement")
      ->capture_default_str();
  cmd->add_option("--slurm", o->slurm, "Write a Slurm job-array script here instead of running");
  cmd->add_option("--slurm-opt", o->slurm_opts,
                  "Extra #SBATCH option for --slurm, e.g. --partition=gpu (repeatable)");
  cmd->add_flag("--submit", o->submit,
                "Submit the Slurm array with sbatch (script: --slurm FILE, else "
                "OUT_ROOT/slurm.sbatch); finished runs are left out; prints the job id");
  cmd->add_option("--slurm-warning", o->slurm_warning_s,
                  "Seconds before the time limit at which Slurm sends SIGUSR1: the run "
                  "checkpoints and the task requeues itself")
      ->check(FinitePositive)
      ->capture_default_str();
  cmd->add_flag("--status", o->status,
                "Each run's state from its folder and, when submitted, from squeue/sacct");
  cmd->add_option(
      "--torchrun", o->torchrun,
      "torchrun for runs with sweep.gpus_per_run > 1 (default: next to the venv's python)");
  cmd->add_flag("--json", o->json, "Dry run and final table as JSON");
  cmd->footer(
      "Run folders are OUT_ROOT/<run name>. Finished runs are skipped, runs with checkpoints "
      "resumed,\n"
      "failed runs recorded in <run>/error.txt while the others go on; OUT_ROOT/sweep_state.json "
      "has\n"
      "every run's status. Sweep file format: experiments/README.md.\n"
      "Example: scalelab sweep experiments/chinchilla/quick.yaml --jobs 2\n"
      "         scalelab sweep experiments/chinchilla/quick.yaml --set train.batch_size=4 "
      "--out-root runs/smaller --dry-run");
  cmd->callback([o] {
    sweep::Spec spec = sweep::load_spec(o->file);
    sweep::apply_sets(spec, o->sets);
    const std::vector<sweep::Run> runs = sweep::expand(spec);
    std::string out_root = o->out_root;
    if (out_root.empty()) out_root = spec.out_root;
    if (out_root.empty()) out_root = "runs/" + fs::path(o->file).stem().string();
    if (!o->gpus.empty() && o->jobs != 1)
      throw std::runtime_error("--jobs and --gpus: give one (--gpus runs one per GPU)");

    if (o->status) {
      std::string note;
      const auto rows = sweep::sweep_standing(runs, out_root, &note);
      if (o->json)
        std::printf("%s\n", nlohmann::json({{"out_root", out_root},
                                            {"slurm_note", note},
                                            {"runs", sweep::standing_json(rows)}})
                                .dump(2)
                                .c_str());
      else
        std::printf("%s%s", sweep::standing_table(rows).c_str(),
                    note.empty() ? "" : ("slurm: " + note + "\n").c_str());
      return;
    }

    if (!o->slurm.empty() || o->submit) {
      if (o->submit) {  // before writing anything
        sweep::require_known_runs(runs, o->only);
        sweep::require_submittable(o->slurm_opts);
      }
      sweep::SlurmOptions so;
      so.sweep_path = fs::absolute(o->file).lexically_normal().string();
      so.out_root = fs::absolute(out_root).lexically_normal().string();
      so.binary = sweep::self_executable();
      so.workdir = fs::current_path().string();
      so.job_name = "scalelab-" + fs::path(o->file).parent_path().filename().string() + "-" +
                    fs::path(o->file).stem().string();
      so.extra = o->slurm_opts;
      so.sets = o->sets;
      so.threads_per_task = o->threads_per_job;
      so.warning_s = o->slurm_warning_s;
      const std::string script =
          o->slurm.empty() ? (fs::path(so.out_root) / "slurm.sbatch").string() : o->slurm;
      fs::create_directories(so.out_root);  // Slurm writes the tasks' output there from the start
      std::ofstream out(script);
      if (!(out << sweep::slurm_script(runs, so)) || !out.flush())
        throw std::runtime_error(script + ": cannot write the Slurm script");
      out.close();
      ::chmod(script.c_str(), 0755);
      if (!o->submit) {
        std::printf("wrote %s: %zu runs into %s; submit with `bash %s`\n", script.c_str(),
                    runs.size(), so.out_root.c_str(), script.c_str());
        return;
      }
      const sweep::Submission sub =
          sweep::submit_sweep(runs, script, so.out_root, o->slurm_opts, o->only);
      if (o->json) {
        nlohmann::json arrays = nlohmann::json::array();
        for (const auto& a : sub.arrays)
          arrays.push_back({{"job_id", a.job_id}, {"array", sweep::array_ranges(a.indices)}});
        std::printf("%s\n", nlohmann::json({{"script", script},
                                            {"arrays", arrays},
                                            {"skipped", sub.skipped},
                                            {"queued", sub.queued}})
                                .dump(2)
                                .c_str());
        return;
      }
      for (const auto& a : sub.arrays)
        std::printf("submitted job %s: array %s (%zu runs) of %s\n", a.job_id.c_str(),
                    sweep::array_ranges(a.indices).c_str(), a.indices.size(), script.c_str());
      if (!sub.skipped.empty()) std::printf("skipped %zu finished run(s)\n", sub.skipped.size());
      if (!sub.queued.empty())
        std::printf("left out %zu run(s) whose task is still pending or running\n",
                    sub.queued.size());
      if (sub.arrays.empty())
        std::printf("nothing to submit: every run has finished or is in the queue\n");
      else
        std::printf("follow it with `scalelab sweep %s --status`\n", o->file.c_str());
      return;
    }

    sweep::RunnerOptions ro;
    ro.out_root = out_root;
    ro.sweep_path = o->file;
    ro.binary = sweep::self_executable();
    ro.jobs = o->jobs;
    ro.threads_per_job = o->threads_per_job;
    ro.only = o->only;
    if (!o->gpus.empty()) ro.gpus = parse_gpus(o->gpus);
    ro.torchrun = o->torchrun.empty() ? sweep::default_torchrun() : o->torchrun;

    if (o->dry_run) {
      std::optional<sweep::Throughput> t;
      std::string why;
      if (o->tokens_per_s > 0)
        t = sweep::given_throughput(runs, o->tokens_per_s);
      else if (!o->no_measure)
        t = sweep::measure_throughput(runs, ro.binary, sweep::threads_per_job(ro),
                                      o->measure_timeout_s, &why);
      const int parallel = ro.gpus.empty() ? ro.jobs : int(ro.gpus.size());
      if (o->json) {
        auto j = sweep::dry_run_json(runs, out_root, t, parallel);
        if (!why.empty()) j["estimate_unavailable"] = why;
        std::printf("%s\n", j.dump(2).c_str());
      } else {
        std::printf("%s", sweep::dry_run_table(runs, out_root, t, parallel).c_str());
        if (!why.empty()) std::printf("no time estimate: %s\n", why.c_str());
      }
      return;
    }

    require_datasets(runs, o->only);
    sweep::require_gpus(ro.gpus);
    if (const std::string s = sweep::savings_text(sweep::compute_savings(runs)); !s.empty())
      std::fprintf(stderr, "[sweep] %s", s.c_str());
    int stop_signal = 0;
    const auto outcomes = sweep::run_all(runs, ro, &stop_signal);
    if (o->json)
      std::printf("%s\n", sweep::outcome_json(outcomes, ro).dump(2).c_str());
    else
      std::printf("\n%s", sweep::outcome_table(runs, outcomes).c_str());
    if (stop_signal != 0)  // 128 + signal, as `scalelab train` exits: a Slurm task can tell
      throw ExitCode(128 + stop_signal,
                     "[sweep] stopped by signal " + std::to_string(stop_signal) +
                         ": the runs it stopped checkpointed; run the sweep again to resume them");
    int bad = 0;
    for (const auto& x : outcomes)
      bad += x.status == sweep::OutcomeStatus::failed ||
             x.status == sweep::OutcomeStatus::blocked ||
             x.status == sweep::OutcomeStatus::diverged;
    if (bad > 0)
      throw std::runtime_error(
          std::to_string(bad) + " of " + std::to_string(outcomes.size()) +
          " runs did not finish (see the table and each run's error.txt); the same command "
          "retries the failed ones");
  });
}

}  // namespace scalelab::cli
