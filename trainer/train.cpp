// The training loop, top to bottom: lr -> micro-steps -> clip -> step -> log -> eval -> checkpoint.
// Setup lives in TrainSession, the step in StepRunner, and everything with a cadence in the
// observers (trainer/observers.h), each deciding itself when it acts.
#include "trainer/train.h"

#include "common/log.h"
#include "trainer/observers.h"
#include "trainer/run_end.h"
#include "core/schedule.h"
#include "trainer/session.h"
#include "trainer/train_step.h"

namespace scalelab {

RunSummary train(const Config& config, const TrainOptions& options) {
  const auto session = open_session(config, options);
  TrainSession& s = *session;
  const RunClock clock(s.state.wall_time_s);
  StepRunner step_runner(s);
  MetricsLog metrics(s, clock);
  Evaluator evaluator(s, step_runner, metrics);
  Checkpointer checkpointer(s, clock);
  const ParamCounts params = count_params(config.model);
  log::info(log::format(
      "[train] %s: N = %ld (non-embedding %ld), %ld steps x %ld sequences x %ld tokens on %s (%s)",
      options.run_dir.c_str(), (long)params.total, (long)params.non_embedding, (long)s.total_steps,
      (long)config.train.batch_size, (long)config.model.block_size, s.dev.device_name.c_str(),
      s.dev.precision.c_str()));
  s.model->train();

  while (s.state.step < s.total_steps) {
    const double lr = learning_rate(config.schedule, config.optim, s.state.step, s.total_steps);
    const StepResult r = step_runner.run(s.state.step, lr);
    if (!r.finite()) end_diverged(s, metrics, clock, r);
    s.state.step += 1;
    s.state.tokens += tokens_per_step(config);
    const bool last = s.state.step == s.total_steps;

    metrics.after_step(r, last);
    const bool stop = evaluator.after_step(last);
    s.state.wall_time_s = clock.elapsed_s();
    if (s.rank0()) s.state.metrics_bytes = metrics.bytes();
    if (const SessionPause p = checkpointer.after_step(last, stop); p.pause)
      return end_run(s, metrics, clock, RunStatus::paused, "", p.signal);
    if (stop) break;
  }
  return end_run(s, metrics, clock,
                 evaluator.stopped_early() ? RunStatus::early_stopped : RunStatus::finished);
}

}  // namespace scalelab
