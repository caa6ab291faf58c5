#include "experiments/sweep_progress.h"

#include <algorithm>

#include "common/log.h"
#include "common/text.h"
#include "experiments/estimate.h"

namespace scalelab::sweep {
namespace {

using Phase = RunProgress::Phase;

// This sweep's own rates when it has some; before its first measurement, those of runs that
// finished before it (the same machine and folder, most likely the same parallelism).
std::vector<RatePoint> measured_rates(const std::vector<RunProgress>& runs) {
  std::vector<RatePoint> here, before;
  for (const auto& p : runs) {
    if (p.tokens_per_s <= 0 || p.phase == Phase::left) continue;
    const RatePoint point{cost_per_token(*p.run), p.tokens_per_s};
    (p.phase == Phase::running || p.trained_here ? here : before).push_back(point);
  }
  return here.empty() ? before : here;
}

}  // namespace

ProgressEstimate estimate_progress(const std::vector<RunProgress>& runs, int parallel) {
  ProgressEstimate e;
  for (const auto& p : runs) {
    e.ended += p.phase == Phase::ended;
    e.failed += p.phase == Phase::ended && p.failed;
    e.running += p.phase == Phase::running;
    e.left += p.phase == Phase::left;
  }
  const auto rates = measured_rates(runs);
  e.n_rates = int(rates.size());
  if (rates.empty()) return e;
  Throughput t = fit_throughput(rates);
  t.includes_evals = true;  // the evaluations are a small part next to what the rates miss
  std::vector<PlannedRun> planned;
  for (const auto& p : runs) {
    PlannedRun plan;
    plan.after = p.parent;
    if (p.phase == Phase::running) {
      plan.running = true;
      plan.seconds = p.tokens_per_s > 0
                         ? std::max(0.0, p.run->tokens - p.tokens_done) / p.tokens_per_s
                         : estimate_seconds(*p.run, t);
    } else if (p.phase == Phase::left) {
      plan.seconds = estimate_seconds(*p.run, t);
    }
    planned.push_back(plan);  // ended runs take no time and hold no slot
  }
  e.eta_s = makespan_seconds(planned, parallel);
  return e;
}

std::string progress_line(const ProgressEstimate& e, int parallel) {
  const int total = e.ended + e.running + e.left;
  std::string out = log::format("[sweep] progress: %d/%d ended", e.ended, total);
  if (e.failed > 0) out += log::format(" (%d failed)", e.failed);
  out += log::format(", %d running, %d left; ", e.running, e.left);
  if (e.running + e.left == 0) return out + "nothing left";
  if (!e.eta_s) return out + "ETA once a run has logged its throughput";
  return out + log::format("ETA %s (%d at a time; from %d measured rate(s))",
                           duration_text(*e.eta_s).c_str(), parallel, e.n_rates);
}

}  // namespace scalelab::sweep
