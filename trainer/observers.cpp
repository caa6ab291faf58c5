#include "trainer/observers.h"

#include <algorithm>
#include <cmath>

#include "common/log.h"
#include "common/text.h"

namespace scalelab {
namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

double RunClock::elapsed_s() const {
  return before_s_ + seconds_since(start_);
}

MetricsLog::MetricsLog(TrainSession& session, const RunClock& clock)
    : s_(session),
      clock_(clock),
      per_token_(all_training_flops(session.config.model)),
      palm_per_token_(training_flops_per_token(session.config.model, FlopConvention::palm)) {
  if (s_.rank0())
    writer_.emplace(s_.options.resume || !s_.options.branch_from.empty()
                        ? MetricsWriter::resumed(s_.options.run_dir, s_.state.metrics_bytes)
                        : MetricsWriter::fresh(s_.options.run_dir));
  if (s_.rank0() && s_.config.log.tensorboard) {
    // Lines after the checkpoint (step, tokens) were cut from metrics.jsonl; TensorBoard drops
    // them too. A fresh run purges nothing.
    const bool continues = s_.state.step > 0;
    tensorboard_ = std::make_unique<TensorBoardWriter>(
        s_.options.run_dir, continues ? s_.state.step + 1 : 0,
        continues ? static_cast<int64_t>(s_.state.tokens) + 1 : 0);
  }
  if (s_.options.measure_peak) {
    measured_peak_ = measure_matmul_peak(s_.dev);
    log::info(log::format("[mfu] measured %s matmul peak: %.3g FLOP/s", s_.dev.precision.c_str(),
                          *measured_peak_));
  }
}

FlopsByConvention MetricsLog::flops_at(double tokens) const {
  FlopsByConvention out;
  for (const auto& f : per_token_) out[f.convention] = f.per_token * tokens;
  return out;
}

std::optional<double> MetricsLog::mfu(double tokens_per_s, std::optional<double> peak) const {
  if (!peak) return std::nullopt;
  return tokens_per_s * palm_per_token_ / *peak;
}

void MetricsLog::write(const nlohmann::json& line) {
  if (writer_) writer_->write(line);
  if (tensorboard_) tensorboard_->write(line);
}

void MetricsLog::after_step(const StepResult& r, bool last) {
  const TrainState& st = s_.state;
  interval_tokens_ += s_.config.train.batch_size * s_.block_size();
  last_loss_ = r.loss;
  if (st.step % s_.config.log.every != 0 && !last) return;
  synchronize(s_.dev.device);
  const double tokens_per_s = interval_tokens_ / std::max(seconds_since(interval_start_), 1e-9);
  TrainMetrics m{st.step,
                 st.tokens,
                 r.loss,
                 r.lr,
                 r.grad_norm,
                 tokens_per_s,
                 clock_.elapsed_s(),
                 mfu(tokens_per_s, s_.dev.table_peak_flops),
                 std::nullopt,
                 flops_at(st.tokens)};
  if (measured_peak_) m.mfu_measured = mfu(tokens_per_s, measured_peak_);
  write(metrics_line(m));
  const double remaining =
      (s_.total_steps - st.step) * tokens_per_step(s_.config) / std::max(tokens_per_s, 1e-9);
  const auto shown =
      mfu(tokens_per_s, s_.dev.table_peak_flops ? s_.dev.table_peak_flops : measured_peak_);
  log::info(log::format("[train] step %ld/%ld | loss %.4f | lr %.2e | %.0f tok/s | MFU %s | ETA %s",
                        (long)st.step, (long)s_.total_steps, r.loss, r.lr, tokens_per_s,
                        shown ? log::format("%.1f%%", 100 * *shown).c_str() : "n/a",
                        duration_text(remaining).c_str()));
  interval_start_ = Clock::now();
  interval_tokens_ = 0;
}

void MetricsLog::eval_line(double val_loss) {
  const TrainState& st = s_.state;
  write(metrics_line(
      EvalMetrics{st.step, st.tokens, val_loss, clock_.elapsed_s(), flops_at(st.tokens)}));
  log::info(log::format("[eval] step %ld | val_loss %.4f | best %.4f", (long)st.step, val_loss,
                        st.best_val_loss));
}

Evaluator::Evaluator(TrainSession& session, StepRunner& runner, MetricsLog& log)
    : s_(session), runner_(runner), log_(log) {}

bool Evaluator::after_step(bool last) {
  TrainState& st = s_.state;
  const int64_t every = s_.config.eval.every;
  if (!last && !(every > 0 && st.step % every == 0)) return false;
  const double val_loss = runner_.evaluate();
  st.last_val_loss = val_loss;
  if (val_loss < st.best_val_loss) {
    st.best_val_loss = val_loss;
    st.evals_since_best = 0;
  } else {
    st.evals_since_best += 1;
  }
  log_.eval_line(val_loss);
  const int64_t patience = s_.config.eval.early_stop_patience;
  if (patience > 0 && st.evals_since_best >= patience) {
    stopped_ = true;
    log::info(log::format("[eval] early stop: no improvement in %ld evaluations",
                          (long)st.evals_since_best));
  }
  return stopped_;
}

Checkpointer::Checkpointer(TrainSession& session, const RunClock& clock)
    : s_(session), clock_(clock), last_save_s_(clock.elapsed_s()) {}

int Checkpointer::agreed_signal() {
  const int local = signals_.received();
  if (!s_.options.sync) return local;
  // One scalar all-reduce a step: a signal seen by any rank stops them all after this step.
  const double any = s_.options.sync->average(local != 0 ? 1.0 : 0.0);
  return any > 0 ? (local != 0 ? local : SIGTERM) : 0;
}

SessionPause Checkpointer::after_step(bool last, bool stopping) {
  const TrainState& st = s_.state;
  const auto& c = s_.config.checkpoint;
  const int64_t stop_after = s_.options.stop_after_step;
  SessionPause p;
  p.signal = last || stopping ? 0 : agreed_signal();
  p.pause = !last && !stopping && (p.signal != 0 || (stop_after > 0 && st.step >= stop_after));
  const bool by_time = c.every_seconds > 0 && clock_.elapsed_s() - last_save_s_ >= c.every_seconds;
  const auto& at = s_.options.checkpoint_steps;
  const bool branch_point = std::find(at.begin(), at.end(), st.step) != at.end();
  const bool due = (c.every > 0 && st.step % c.every == 0) || branch_point || by_time || last ||
                   stopping || p.pause;
  if (s_.rank0() && due) {
    save_checkpoint(s_.options.run_dir, s_.model, s_.optimizer, st, s_.config_yaml, c.keep, at);
    last_save_s_ = clock_.elapsed_s();
  }
  return p;
}

}  // namespace scalelab
