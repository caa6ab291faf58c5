// `scalelab sweep`'s modes as functions over its typed options: --status, --slurm / --submit,
// --dry-run, and training. `scalelab tune` runs its grid through the same functions, in-process,
// so that one signal relay (the runner's) serves both.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "experiments/sweep_run.h"

namespace scalelab::cli {

// Runs per `train-packed` process unless --pack or --no-pack says otherwise: on by default
// (issue 29), bounded by memory (core/packing.h) and by the ready runs of one shape. Packs of 3-8
// measured 1.0-1.36x on 2 CPU cores (bench/bench_packed.sh); a packed run equals its unpacked
// twin to float rounding, not bit for bit.
inline constexpr int kDefaultMaxPack = 8;

struct SweepArgs {
  std::string command = "sweep";  // the subcommand a Slurm task runs (sweep | study)
  std::string file, out_root, gpus, slurm, torchrun;
  std::vector<std::string> only, slurm_opts, sets, calibrate_from;
  int jobs = 1, threads_per_job = 0, slurm_warning_s = 300;
  int max_pack = kDefaultMaxPack;  // runs per `train-packed` process (--pack K; --no-pack: 1)
  double tokens_per_s = 0, measure_timeout_s = 120, progress_every_s = 60;
  bool dry_run = false, no_measure = false, json = false, submit = false, status = false;
  bool rerun_changed = false;
};

// The file loaded with its --set overrides; --jobs and --gpus checked against each other.
sweep::LoadedSweep load_sweep_args(const SweepArgs& args);

// --pack K and --no-pack on a command that trains a sweep (sweep, study, tune).
void add_pack_options(CLI::App* cmd, int* max_pack);

// Each run's state from its folder and, when submitted, from squeue/sacct.
void sweep_status(const SweepArgs& args, const sweep::LoadedSweep& sweep);
// Writes the Slurm job-array script; with --submit also submits it.
void sweep_slurm(const SweepArgs& args, const sweep::LoadedSweep& sweep);
// N, D, C and the estimated time of every run, on `out`; the estimate, calibrated from runs
// finished on this machine (OUT_ROOT's, --calibrate-from's) or else measured, is recorded in
// OUT_ROOT/dry_run_estimate.json.
void sweep_dry_run(const SweepArgs& args, const sweep::LoadedSweep& sweep, std::FILE* out);
// Trains the runs and prints the final table (or JSON) on `out`.
sweep::SweepResult sweep_train(const SweepArgs& args, const sweep::LoadedSweep& sweep,
                               std::FILE* out);

}  // namespace scalelab::cli
