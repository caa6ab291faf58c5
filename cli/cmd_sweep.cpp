// scalelab sweep FILE [--jobs N | --gpus LIST] [--dry-run] [--slurm OUT.sbatch] [--submit]
//                     [--status] [--out-root DIR]
// The flags, into SweepArgs; each mode is a function of cli/sweep_modes.h.
#include <cstdio>

#include "cli/commands.h"
#include "cli/sweep_modes.h"

namespace scalelab::cli {
namespace {

void run_sweep_command(const SweepArgs& a) {
  const sweep::LoadedSweep sweep = load_sweep_args(a);
  if (a.status) return sweep_status(a, sweep);
  if (!a.slurm.empty() || a.submit) return sweep_slurm(a, sweep);
  if (a.dry_run) return sweep_dry_run(a, sweep, stdout);
  const sweep::SweepResult r = sweep_train(a, sweep, stdout);
  if (r.stop_signal != 0) throw ExitCode(r.exit_code(), r.verdict());
  if (r.exit_code() != 0) throw std::runtime_error(r.verdict());
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto o = std::make_shared<SweepArgs>();
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
  add_pack_options(cmd, &o->max_pack);
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
                "Dry run: no throughput measurement (an estimate only from finished runs)");
  cmd->add_option("--calibrate-from", o->calibrate_from,
                  "Dry run: also calibrate from the finished runs of this sweep output folder "
                  "(another sweep trained on this machine with the same --jobs and threads; "
                  "repeatable)");
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
                "Each run's state from its folder (a running run's step, loss and ETA from its "
                "newest metrics line) and, when submitted, from squeue/sacct");
  cmd->add_flag("--rerun-changed", o->rerun_changed,
                "Train again the finished runs whose settings differ from the sweep's now (their "
                "files are moved to RUN/replaced/<time>/); without it they are kept and named");
  cmd->add_option("--progress-every", o->progress_every_s,
                  "Seconds between progress lines while runs train (also one per run that "
                  "ends; 0: only those)")
      ->check(FiniteNonNegative)
      ->capture_default_str();
  cmd->add_option(
      "--torchrun", o->torchrun,
      "torchrun for runs with sweep.gpus_per_run > 1 (default: next to the venv's python)");
  cmd->add_flag("--json", o->json, "Dry run and final table as JSON");
  cmd->footer(
      "Run folders are OUT_ROOT/<run name>. Finished runs are skipped (and named when the sweep "
      "now gives\n"
      "them other settings: --rerun-changed trains them again), runs with checkpoints resumed,\n"
      "failed runs recorded in <run>/error.txt while the others go on; OUT_ROOT/sweep_state.json "
      "has\n"
      "every run's status. Sweep file format: experiments/README.md.\n"
      "Example: scalelab sweep experiments/chinchilla/quick.yaml --jobs 2\n"
      "         scalelab sweep experiments/chinchilla/quick.yaml --set train.batch_size=4 "
      "--out-root runs/smaller --dry-run");
  cmd->callback([o] { run_sweep_command(*o); });
}

}  // namespace scalelab::cli
