// Learning-rate schedules: linear warmup, then cosine or linear decay to min_lr, constant, or
// warmup-stable-decay (Hu et al. 2024, MiniCPM): flat at lr, then a decay over the last
// decay_fraction of the steps, linear or 1 - sqrt (Hagele et al. 2024). Pure arithmetic: the
// trainer, the sweep's branching and the loss-curve law all read the same schedule.
#pragma once

#include <cstdint>

#include "configs/config.h"

namespace scalelab {

int64_t warmup_steps(const ScheduleConfig& schedule, int64_t total_steps);
// WSD: the first step of the decay (steps before it run at the stable lr).
int64_t wsd_decay_start(const ScheduleConfig& schedule, int64_t total_steps);
// Learning rate of optimizer step `step` (0-based) out of `total_steps`.
double learning_rate(const ScheduleConfig& schedule, const OptimConfig& optim, int64_t step,
                     int64_t total_steps);

}  // namespace scalelab
