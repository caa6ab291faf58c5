// One optimizer step: this rank's rows of the step's global batch in micro-steps (gradients
// accumulated, averaged across ranks on the last one), clipping, the fused AdamW update.
#pragma once

#include <cmath>

#include "trainer/session.h"

namespace scalelab {

struct StepResult {
  double lr = 0;
  double loss = 0;       // mean over the global batch (all ranks)
  double grad_norm = 0;  // global norm before clipping
  bool finite() const { return std::isfinite(loss) && std::isfinite(grad_norm); }
};

// The compute of a step, free of data loading and ranks (bench/profile_step.cpp times these):
// one micro-batch's forward and backward of its loss / n_micro; returns the loss (not divided),
// detached, on the device. `sync` (or null) hears of the backward first.
torch::Tensor forward_backward(GPT& model, const torch::Tensor& inputs,
                               const torch::Tensor& targets, int64_t n_micro, bool bf16,
                               GradientSync* sync = nullptr, bool last_micro = true);
// Clips the accumulated gradients to a global norm of grad_clip (<= 0: no clipping), applies the
// AdamW update at lr and clears the gradients; returns the norm before clipping.
double clip_and_update(FusedAdamW& optimizer, double grad_clip, double lr);

// Has the allocator keep freed memory for reuse rather than return it to the system: activations
// are allocated and freed every step (glibc; elsewhere nothing changes).
void keep_freed_memory_for_reuse();

class StepRunner {
 public:
  explicit StepRunner(TrainSession& session);
  StepResult run(int64_t step, double lr);
  // Mean validation loss over the fixed windows, averaged across ranks.
  double evaluate();

 private:
  TrainSession& s_;
  std::vector<int64_t> buffer_;
};

}  // namespace scalelab
