// Checkpoints: model, optimizer state, progress, RNG state and the resolved config, written
// atomically (temporary file, then rename) so a run killed mid-write keeps its previous checkpoint.
#pragma once

#include <limits>
#include <optional>
#include <string>

#include "configs/config.h"
#include "model/gpt.h"
#include "runfolder/checkpoints.h"
#include "trainer/fused_adamw.h"

namespace scalelab {

// 2: every tensor on CPU (device-independent), a format_version entry. Version 1 files (no entry)
// load too.
inline constexpr int kCheckpointFormatVersion = 2;

// Everything the loop needs to continue exactly where it stopped.
struct TrainState {
  int64_t step = 0;   // optimizer steps completed
  double tokens = 0;  // training tokens consumed
  double wall_time_s = 0;
  double best_val_loss = std::numeric_limits<double>::infinity();
  double last_val_loss = std::numeric_limits<double>::quiet_NaN();
  int64_t evals_since_best = 0;
  int64_t metrics_bytes = 0;  // length of metrics.jsonl when the checkpoint was taken
};

// Writes checkpoints/step_<step>.pt (runfolder/checkpoints.h names it) and deletes all but the
// newest `keep`. A failed write (a full disk) is an error naming the file; the older ones stay.
void save_checkpoint(const std::string& run_dir, GPT& model, const FusedAdamW& optimizer,
                     const TrainState& state, const std::string& config_yaml, int64_t keep,
                     const std::vector<int64_t>& kept_steps = {});
// Restores the model (and the optimizer and RNG when given); returns the saved progress.
// Errors name the file and, for a shape mismatch, the parameter.
TrainState load_checkpoint(const std::string& path, GPT& model, FusedAdamW* optimizer,
                           std::string* config_yaml = nullptr);

// A finished or stopped run, loaded for use (sample, export): its config.yaml, and its newest
// checkpoint in a model built from that config.
struct RunModel {
  Config config;
  GPT model{nullptr};
  TrainState state;
  std::string checkpoint;
};
// Errors name the folder: no config.yaml, no checkpoint, or a checkpoint whose model section
// differs from config.yaml's.
RunModel load_run_model(const std::string& run_dir);

}  // namespace scalelab
