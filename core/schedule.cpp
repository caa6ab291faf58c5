#include "core/schedule.h"

#include <algorithm>
#include <cmath>

namespace scalelab {

int64_t warmup_steps(const ScheduleConfig& s, int64_t total) {
  int64_t w = s.warmup_steps > 0 ? s.warmup_steps : std::llround(s.warmup_fraction * total);
  return std::min(w, total);
}

int64_t wsd_decay_start(const ScheduleConfig& s, int64_t total) {
  const int64_t n_decay = std::max<int64_t>(1, std::llround(s.decay_fraction * total));
  return std::max(warmup_steps(s, total), total - n_decay);
}

double learning_rate(const ScheduleConfig& s, const OptimConfig& o, int64_t step, int64_t total) {
  const int64_t warmup = warmup_steps(s, total);
  if (step < warmup) return o.lr * double(step + 1) / double(warmup);
  if (s.kind == Schedule::constant) return o.lr;
  if (s.kind == Schedule::wsd) {
    const int64_t decay_start = wsd_decay_start(s, total);
    if (step < decay_start) return o.lr;
    const double p = std::min(1.0, double(step - decay_start + 1) / double(total - decay_start));
    if (s.decay_shape == DecayShape::one_minus_sqrt)
      return o.min_lr + (o.lr - o.min_lr) * (1.0 - std::sqrt(p));
    return o.lr - (o.lr - o.min_lr) * p;
  }
  // Progress through the decay, reaching min_lr on the last step.
  const int64_t n_decay = total - warmup;
  const double p = n_decay <= 1 ? 1.0 : std::min(1.0, double(step - warmup) / double(n_decay - 1));
  if (s.kind == Schedule::linear) return o.lr - (o.lr - o.min_lr) * p;
  return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1.0 + std::cos(M_PI * p));  // cosine
}

}  // namespace scalelab
