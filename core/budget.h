// What a run's budget buys: tokens per optimizer step and the number of steps. Pure arithmetic
// on the config, shared by the trainer, the sweep runner and the calculators.
#pragma once

#include <cstdint>

#include "configs/config.h"

namespace scalelab {

// Tokens of one optimizer step: the global batch (all ranks, all micro-batches) times T.
double tokens_per_step(const Config& config);

// Optimizer steps that the budget (train.steps, train.tokens D or train.flops C under
// train.flop_convention) buys, rounded up so that the run spends at least its budget.
int64_t budget_steps(const Config& config);

// How one rank takes its rows of a step's global batch (validate_training checks that they divide).
struct BatchLayout {
  int64_t rows_per_rank = 0;  // train.batch_size / world size
  int64_t micro_rows = 0;     // rows of one micro-step (train.micro_batch_size, 0 = all of them)
  int64_t n_micro = 0;        // micro-steps per optimizer step (gradient accumulation)
};
BatchLayout batch_layout(const Config& config, int world_size);

}  // namespace scalelab
