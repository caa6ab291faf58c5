// The small objects the training loop calls after each step. Each owns its cadence and its state
// (torchtitan's checkpointer/validator idea), so the loop itself stays a short list of calls.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "core/counts.h"
#include "runfolder/metrics.h"
#include "common/stop_signals.h"
#include "trainer/tensorboard.h"
#include "trainer/train_step.h"

namespace scalelab {

using Clock = std::chrono::steady_clock;

// Wall time of this session plus what earlier sessions of the run spent (from the checkpoint).
class RunClock {
 public:
  explicit RunClock(double before_s) : before_s_(before_s), start_(Clock::now()) {}
  double elapsed_s() const;

 private:
  double before_s_;
  Clock::time_point start_;
};

// metrics.jsonl (rank 0) and the console progress line, every log.every steps and at the end;
// throughput and MFU over each logging interval.
class MetricsLog {
 public:
  MetricsLog(TrainSession& session, const RunClock& clock);
  void after_step(const StepResult& r, bool last);
  void eval_line(double val_loss);
  FlopsByConvention flops_at(double tokens) const;
  // MFU of a throughput against the device's table peak, or against the measured one.
  std::optional<double> mfu(double tokens_per_s, std::optional<double> peak) const;
  std::optional<double> measured_peak() const { return measured_peak_; }
  double last_loss() const { return last_loss_; }
  int64_t bytes() const { return writer_ ? writer_->bytes() : 0; }

 private:
  TrainSession& s_;
  const RunClock& clock_;
  void write(const nlohmann::json& line);
  std::optional<MetricsWriter> writer_;
  std::unique_ptr<TensorBoardWriter> tensorboard_;
  std::vector<ConventionFlops> per_token_;
  double palm_per_token_ = 0;
  std::optional<double> measured_peak_;
  Clock::time_point interval_start_ = Clock::now();
  int64_t interval_tokens_ = 0;
  double last_loss_ = std::nan("");
};

// Validation every eval.every steps and at the end; early stopping after eval.early_stop_patience
// evaluations without a new best.
class Evaluator {
 public:
  Evaluator(TrainSession& session, StepRunner& runner, MetricsLog& log);
  // Evaluates when due; true when early stopping ends the run.
  bool after_step(bool last);
  bool stopped_early() const { return stopped_; }

 private:
  TrainSession& s_;
  StepRunner& runner_;
  MetricsLog& log_;
  bool stopped_ = false;
};

// Why a session ends before its budget: --stop-after-step, or a stop signal (then its number).
struct SessionPause {
  bool pause = false;
  int signal = 0;
};

// Checkpoints every checkpoint.every steps, every checkpoint.every_seconds of wall time, at the
// end, when the run stops early, and when the session pauses (--stop-after-step, or SIGINT /
// SIGTERM / SIGUSR1 received during a step), keeping the newest checkpoint.keep.
class Checkpointer {
 public:
  Checkpointer(TrainSession& session, const RunClock& clock);
  // Saves when due; says whether this session pauses here.
  SessionPause after_step(bool last, bool stopping);

 private:
  int agreed_signal();  // every rank stops at the same step
  TrainSession& s_;
  const RunClock& clock_;
  StopSignals signals_;
  double last_save_s_;
};

}  // namespace scalelab
