// The local sweep runner: trains every run of a sweep as a child `scalelab train` process, several
// at once (CPU jobs, or one per GPU), parents before the runs they initialise. Idempotent: finished
// runs are skipped, interrupted ones resumed, failures recorded while the others go on.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/enum_names.h"
#include "experiments/sweep.h"

namespace scalelab::sweep {

struct RunnerOptions {
  std::string out_root;               // run folders are out_root/<name>
  std::string sweep_path;             // recorded in sweep_state.json
  std::string binary;                 // the scalelab executable
  std::string torchrun = "torchrun";  // for runs with sweep.gpus_per_run > 1
  int jobs = 1;                       // CPU: runs at once
  std::vector<int> gpus;              // non-empty: one run per GPU (CUDA_VISIBLE_DEVICES)
  int threads_per_job = 0;            // CPU runs' train.threads; 0 = cores / jobs
  std::vector<std::string> only;      // train only these runs (their parents must be finished)
  double poll_s = 2;                  // how often a run locked by another runner is retried
  // Runs that differ only in what each run of a pack keeps its own (core/packing.h) train as one
  // `scalelab train-packed` process, up to this many (and what memory allows); 1: each alone.
  // Off by default: on this project's 2-core CPUs a pack trains the demo's shapes only 1.0-1.4x
  // faster (bench/bench_packed.sh), and its runs equal unpacked ones to float rounding, not bit
  // for bit (a Slurm task trains one run: a local sweep then equals its Slurm twin exactly).
  int max_pack = 1;
  bool rerun_changed = false;    // retrain finished runs whose config no longer matches the sweep's
  double progress_every_s = 60;  // the progress line: after each run ends and this often (0: ends)
};

// Where each run of this invocation stands (sweep_state.json's "status").
enum class OutcomeStatus { pending, running, done, skipped, paused, failed, diverged, blocked };

// How each run ended in this invocation.
struct Outcome {
  std::string name;
  OutcomeStatus status = OutcomeStatus::pending;
  double final_val_loss = 0;  // NaN when unknown
  double wall_time_s = 0;     // the run's training time (summary.json)
  std::string note;           // resumed, error summary, which parent blocked it, ...
  bool kept_changed = false;  // finished with other settings than the sweep's now, and kept
  // What the folder's summary.json says the run trained (a run kept from before may have trained
  // another D than the sweep file gives now); 0 when there is no summary.
  int64_t trained_params = 0;
  double trained_tokens = 0;
  double tokens_per_s = 0;  // the summary's D / wall time
  double process_s = 0;     // this invocation's training process, start to end (0: not trained)
  // How long the whole run took where and how it was trained, {process_s, host, jobs,
  // threads_per_job}, kept in sweep_state.json while the run stays skipped (null: not known):
  // what calibrates later dry runs (experiments/calibrate.h).
  nlohmann::json trained_with;
};

// How a run's training process starts it: its config and folder, and resumed, branched from a
// checkpoint (`branch_checkpoint`, by default its trunk's at its branch point), or started from
// its parent's weights; the steps a trunk checkpoints at.
struct TrainStart {
  std::string config, out;  // OUT_ROOT/<run>/sweep_config.yaml, OUT_ROOT/<run>
  bool resume = false;
  std::string branch_from, init_from;
  std::vector<int64_t> checkpoint_at;
};
TrainStart train_start(const Run& run, const std::string& out_root, bool resume,
                       const std::string& branch_checkpoint = "");

// Arguments of `scalelab train` for one run (without the binary and torchrun prefix): its
// train_start and its tags.
std::vector<std::string> train_arguments(const Run& run, const std::string& out_root, bool resume,
                                         const std::string& branch_checkpoint = "");

// This machine's name (sweep_state.json records it: a throughput measured here calibrates the
// estimates of later sweeps here only).
std::string host_name();

// Threads per CPU job: threads_per_job, else the usable cores divided by jobs (at least 1).
int threads_per_job(const RunnerOptions& options);

// Whether the run trains on the CPU under these options (train.device cpu, or auto without --gpus).
bool trains_on_cpu(const Run& run, const RunnerOptions& options);

// How many runs a pack that `run` starts may hold: options.max_pack, and on the CPU no more than
// memory allows (core/packing.h); 1 for a run on several GPUs.
int64_t pack_capacity(const Run& run, const RunnerOptions& options);

// Trains the runs; returns one outcome per selected run. Throws (before starting anything) when
// the options cannot serve the sweep, e.g. a run that needs more GPUs than --gpus lists. SIGINT,
// SIGTERM or SIGUSR1 is passed on to the training processes (they checkpoint and stop) and ends
// the sweep once they have; *stopped_by_signal gets its number (0 when none came).
std::vector<Outcome> run_all(const std::vector<Run>& runs, const RunnerOptions& options,
                             int* stopped_by_signal = nullptr);

// The final table for people, and the same as JSON (also written to out_root/sweep_state.json).
std::string outcome_table(const std::vector<Run>& runs, const std::vector<Outcome>& outcomes);
nlohmann::json outcome_json(const std::vector<Outcome>& outcomes, const RunnerOptions& options);

}  // namespace scalelab::sweep

namespace scalelab {
template <>
struct EnumNames<sweep::OutcomeStatus> {
  using S = sweep::OutcomeStatus;
  static constexpr std::array<std::pair<S, const char*>, 8> values{{{S::pending, "pending"},
                                                                    {S::running, "running"},
                                                                    {S::done, "done"},
                                                                    {S::skipped, "skipped"},
                                                                    {S::paused, "paused"},
                                                                    {S::failed, "failed"},
                                                                    {S::diverged, "diverged"},
                                                                    {S::blocked, "blocked"}}};
};
}  // namespace scalelab
