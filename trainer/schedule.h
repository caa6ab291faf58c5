// Learning-rate schedules: linear warmup, then cosine or linear decay to min_lr, constant, or
// warmup-stable-decay (Hu et al. 2024, MiniCPM): flat at lr, then a linear decay over the last
// decay_fraction of the steps.
#pragma once

#include <cstdint>

#include "configs/config.h"

namespace scalelab {

int64_t warmup_steps(const ScheduleConfig& schedule, int64_t total_steps);
// Learning rate of optimizer step `step` (0-based) out of `total_steps`.
double learning_rate(const ScheduleConfig& schedule, const OptimConfig& optim, int64_t step,
                     int64_t total_steps);

}  // namespace scalelab
