// The learning rate of every step of a scalelab schedule (core/schedule.h), as the laws that read
// a schedule step by step (the Multi-Power Law, laws/multipower_law.h) take it.
#pragma once

#include <cstdint>
#include <vector>

#include "configs/config.h"

namespace scalelab {

// lr[s - 1] = learning_rate(schedule, optim, s - 1, total) for steps s = 1..total.
std::vector<double> schedule_lrs(const ScheduleConfig& schedule, const OptimConfig& optim,
                                 int64_t total_steps);

// Throws one line when the Multi-Power Law cannot be evaluated for the schedule (lr <= 0 at the
// peak, no step after the warmup, a min_lr above lr).
void check_multipower_schedule(const ScheduleConfig& schedule, const OptimConfig& optim,
                               int64_t total_steps);

}  // namespace scalelab
