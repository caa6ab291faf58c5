#include "cli/sweep_modes.h"

#include <sys/stat.h>

#include <filesystem>
#include <optional>

#include "common/checked_io.h"
#include "experiments/calibrate.h"
#include "experiments/dry_run.h"
#include "experiments/pack_plan.h"
#include "experiments/process.h"
#include "experiments/slurm.h"
#include "experiments/slurm_submit.h"
#include "experiments/sweep_status.h"
#include "experiments/throughput_measure.h"

namespace scalelab::cli {
namespace fs = std::filesystem;
namespace {}  // namespace

void add_pack_options(CLI::App* cmd, int* max_pack) {
  cmd->add_option("--pack", *max_pack,
                  "Train up to K runs of one shape (seeds, learning rates, ...) in one process "
                  "as one batched model (scalelab train-packed --help; equal to unpacked runs to "
                  "float rounding), fewer if memory or the ready runs of a shape allow fewer; "
                  "1 = each alone. Local runs only: a Slurm task trains one run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag_callback(
      "--no-pack", [max_pack] { *max_pack = 1; },
      "Train every run in its own process (the same as --pack 1; for results equal bit for bit to "
      "a --submit twin, whose tasks train one run each)");
}

namespace {

sweep::RunnerOptions runner_options(const SweepArgs& a, const std::string& out_root) {
  sweep::RunnerOptions ro;
  ro.out_root = out_root;
  ro.sweep_path = a.file;
  ro.binary = sweep::self_executable();
  ro.jobs = a.jobs;
  ro.threads_per_job = a.threads_per_job;
  ro.only = a.only;
  ro.rerun_changed = a.rerun_changed;
  ro.max_pack = a.max_pack;
  ro.progress_every_s = a.progress_every_s;
  if (!a.gpus.empty()) ro.gpus = sweep::parse_gpus(a.gpus);
  ro.torchrun = a.torchrun.empty() ? sweep::default_torchrun() : a.torchrun;
  return ro;
}

void print_submission(const SweepArgs& a, const std::string& script, const sweep::Submission& sub) {
  if (a.json) {
    nlohmann::json arrays = nlohmann::json::array();
    for (const auto& x : sub.arrays)
      arrays.push_back({{"job_id", x.job_id}, {"array", sweep::array_ranges(x.indices)}});
    std::printf("%s\n", nlohmann::json({{"script", script},
                                        {"arrays", arrays},
                                        {"skipped", sub.skipped},
                                        {"queued", sub.queued}})
                            .dump(2)
                            .c_str());
    return;
  }
  for (const auto& x : sub.arrays)
    std::printf("submitted job %s: array %s (%zu runs) of %s\n", x.job_id.c_str(),
                sweep::array_ranges(x.indices).c_str(), x.indices.size(), script.c_str());
  if (!sub.skipped.empty()) std::printf("skipped %zu finished run(s)\n", sub.skipped.size());
  if (!sub.queued.empty())
    std::printf("left out %zu run(s) whose task is still pending or running\n", sub.queued.size());
  if (sub.arrays.empty())
    std::printf("nothing to submit: every run has finished or is in the queue\n");
  else
    std::printf("follow it with `%s`\n", sweep::status_command(a.file, a.out_root, a.sets).c_str());
}

}  // namespace

sweep::LoadedSweep load_sweep_args(const SweepArgs& a) {
  sweep::LoadedSweep sweep = sweep::load_sweep(a.file, a.sets, a.out_root);
  if (!a.gpus.empty() && a.jobs != 1)
    throw std::runtime_error("--jobs and --gpus: give one (--gpus runs one per GPU)");
  return sweep;
}

void sweep_status(const SweepArgs& a, const sweep::LoadedSweep& sweep) {
  std::string note;
  const auto rows = sweep::sweep_standing(sweep.runs, sweep.out_root, &note);
  if (a.json)
    std::printf("%s\n", nlohmann::json({{"out_root", sweep.out_root},
                                        {"slurm_note", note},
                                        {"runs", sweep::standing_json(rows)}})
                            .dump(2)
                            .c_str());
  else
    std::printf("%s%s%s\n", sweep::standing_table(rows).c_str(),
                note.empty() ? "" : ("slurm: " + note + "\n").c_str(),
                sweep::standing_progress(sweep.runs, rows, sweep.out_root).c_str());
}

void sweep_slurm(const SweepArgs& a, const sweep::LoadedSweep& sweep) {
  if (a.submit) {  // before writing anything
    sweep::require_known_runs(sweep.runs, a.only);
    sweep::require_submittable(a.slurm_opts);
  }
  sweep::SlurmOptions so;
  so.command = a.command;
  so.sweep_path = fs::absolute(a.file).lexically_normal().string();
  so.out_root = fs::absolute(sweep.out_root).lexically_normal().string();
  so.binary = sweep::self_executable();
  so.workdir = fs::current_path().string();
  so.job_name = "scalelab-" + fs::path(a.file).parent_path().filename().string() + "-" +
                fs::path(a.file).stem().string();
  so.extra = a.slurm_opts;
  so.sets = a.sets;
  so.threads_per_task = a.threads_per_job;
  so.warning_s = a.slurm_warning_s;
  const std::string script =
      a.slurm.empty() ? (fs::path(so.out_root) / "slurm.sbatch").string() : a.slurm;
  make_directories(so.out_root);  // Slurm writes the tasks' output there from the start
  write_file_atomic(script, sweep::slurm_script(sweep.runs, so));
  ::chmod(script.c_str(), 0755);
  if (!a.submit) {
    std::printf("wrote %s: %zu runs into %s; submit with `bash %s`\n", script.c_str(),
                sweep.runs.size(), so.out_root.c_str(), script.c_str());
    return;
  }
  print_submission(a, script,
                   sweep::submit_sweep(sweep.runs, script, so.out_root, a.slurm_opts, a.only));
}

// The throughput the estimate rests on: given, else calibrated from runs finished on this
// machine under the same parallelism, else measured now.
sweep::DryRunPlan dry_run_plan(const SweepArgs& a, const sweep::LoadedSweep& sweep,
                               const sweep::RunnerOptions& ro) {
  sweep::DryRunPlan plan;
  plan.parallel = ro.gpus.empty() ? ro.jobs : int(ro.gpus.size());
  plan.threads = ro.gpus.empty() ? sweep::threads_per_job(ro) : 0;
  plan.rerun_changed = a.rerun_changed;
  if (a.tokens_per_s > 0) {
    plan.throughput = sweep::given_throughput(sweep.runs, a.tokens_per_s);
    return plan;
  }
  std::vector<std::string> roots = {sweep.out_root};
  roots.insert(roots.end(), a.calibrate_from.begin(), a.calibrate_from.end());
  sweep::Calibration c = sweep::calibrate_from_finished(roots, plan.parallel, plan.threads);
  plan.notes = c.notes;
  plan.throughput = c.throughput;
  if (plan.throughput || a.no_measure) return plan;
  std::string why;
  plan.throughput =
      sweep::measure_throughput(sweep.runs, ro.binary, std::max(1, plan.threads),
                                ro.gpus.empty() ? ro.jobs : 1, a.measure_timeout_s, &why);
  if (!why.empty()) plan.notes.push_back("no time estimate: " + why);
  return plan;
}

void sweep_dry_run(const SweepArgs& a, const sweep::LoadedSweep& sweep, std::FILE* out) {
  for (const auto& root : a.calibrate_from)
    if (!fs::exists(fs::path(root) / "sweep_state.json"))
      throw std::runtime_error("--calibrate-from " + root +
                               ": no sweep_state.json there (give a sweep's output folder)");
  const sweep::RunnerOptions ro = runner_options(a, sweep.out_root);
  const sweep::DryRunPlan plan = dry_run_plan(a, sweep, ro);
  if (a.json) {
    auto j = sweep::dry_run_json(sweep.runs, sweep.out_root, plan);
    j["packing"] = sweep::pack_plan_json(sweep.runs, ro);
    std::fprintf(out, "%s\n", j.dump(2).c_str());
  } else {
    std::fprintf(out, "%s", sweep::dry_run_table(sweep.runs, sweep.out_root, plan).c_str());
    std::fprintf(out, "%s", sweep::pack_plan_text(sweep.runs, ro).c_str());
  }
  sweep::record_estimate(sweep.runs, sweep.out_root, plan);
}

sweep::SweepResult sweep_train(const SweepArgs& a, const sweep::LoadedSweep& sweep,
                               std::FILE* out) {
  const sweep::RunnerOptions ro = runner_options(a, sweep.out_root);
  sweep::SweepResult r = sweep::train_sweep(sweep, ro);
  if (a.json)
    std::fprintf(out, "%s\n", sweep::outcome_json(r.outcomes, ro).dump(2).c_str());
  else
    std::fprintf(out, "\n%s", sweep::outcome_table(sweep.runs, r.outcomes).c_str());
  return r;
}

}  // namespace scalelab::cli
