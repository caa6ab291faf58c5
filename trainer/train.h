// One training run: the loop that produces one point of a scaling curve.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "configs/config.h"
#include "runfolder/summary.h"

namespace at {
class Tensor;
}

namespace scalelab {

// Averages gradients across data-parallel ranks (trainer/distributed); null for one process.
class GradientSync {
 public:
  virtual ~GradientSync() = default;
  // Once the model holds its starting (or resumed) weights: every rank takes rank 0's values, and
  // the parameters are registered for gradient averaging.
  virtual void attach(const std::vector<at::Tensor>& params) = 0;
  // Before each micro-step's backward. The last one's backward also averages the accumulated
  // gradients across ranks (bucketed all-reduce overlapping the backward pass); earlier ones only
  // accumulate locally, as DDP's no_sync does.
  virtual void before_backward(bool last_micro_step) = 0;
  virtual double average(double value) = 0;  // e.g. eval loss across ranks
};

struct TrainOptions {
  std::string run_dir;
  bool resume = false;    // continue from the newest checkpoint
  bool force = false;     // overwrite a finished run
  std::string init_from;  // another run folder whose weights (not optimizer) start this one
  // A trunk checkpoint (checkpoints/step_K.pt of another run) that this new run continues from:
  // weights, optimizer, progress and the trunk's metrics up to step K (one run, many budgets).
  std::string branch_from;
  std::vector<int64_t>
      checkpoint_steps;       // also checkpoint after these steps (a trunk's branch points)
  bool measure_peak = false;  // measure the device's matmul peak for a second MFU figure
  nlohmann::json tags = nlohmann::json::object();  // copied into summary.json (sweeps use them)
  int64_t stop_after_step =
      0;  // > 0: checkpoint and end this session after that step (resume later)
  // One run of a pack (trainer/train_packed.h): its log.txt gets the pack's lines beside its own.
  bool packed = false;
  int rank = 0, world_size = 1;
  GradientSync* sync = nullptr;
};

// A run whose loss became NaN or inf: the message says at which step; the last good checkpoint
// stays on disk.
struct DivergedError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Trains and returns summary.json's content (also written to the run folder by rank 0). A
// session ended by stop_after_step has status paused; --resume continues it.
RunSummary train(const Config& config, const TrainOptions& options);

// train() in the process group that the launcher's environment describes (torchrun's RANK,
// WORLD_SIZE, ...; a multi-task srun step), or in this process alone when there is none: every
// rank trains its rows of the global batch and rank 0 alone writes. Errors of a rank name it.
RunSummary train_launched(Config config, TrainOptions options, double dist_timeout_s);

}  // namespace scalelab
