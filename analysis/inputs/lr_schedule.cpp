#include "analysis/inputs/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/schedule.h"

namespace scalelab {

std::vector<double> schedule_lrs(const ScheduleConfig& schedule, const OptimConfig& optim,
                                 int64_t total_steps) {
  std::vector<double> lr(std::max<int64_t>(total_steps, 0));
  for (int64_t s = 1; s <= total_steps; ++s)
    lr[s - 1] = learning_rate(schedule, optim, s - 1, total_steps);
  return lr;
}

void check_multipower_schedule(const ScheduleConfig& schedule, const OptimConfig& optim,
                               int64_t total_steps) {
  const std::string what = "the multi-power law cannot express this schedule: ";
  if (!(optim.lr > 0) || !std::isfinite(optim.lr))
    throw std::runtime_error(what + "the peak lr must be positive");
  if (total_steps <= warmup_steps(schedule, total_steps))
    throw std::runtime_error(what + "no step after the warmup (steps " +
                             std::to_string(total_steps) + ", warmup " +
                             std::to_string(warmup_steps(schedule, total_steps)) + ")");
  if (schedule.kind != Schedule::constant && (optim.min_lr < 0 || optim.min_lr > optim.lr))
    throw std::runtime_error(what + "it describes decays from lr to min_lr >= 0, got lr " +
                             std::to_string(optim.lr) + ", min_lr " + std::to_string(optim.min_lr));
}

}  // namespace scalelab
