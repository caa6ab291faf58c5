#include "trainer/run_end.h"

#include <cstdio>
#include <filesystem>

#include "common/log.h"
#include "configs/config_json.h"
#include "runfolder/checkpoints.h"

namespace scalelab {
namespace {

RunSummary summarize(const TrainSession& s, const MetricsLog& log, double wall, RunStatus status) {
  const ParamCounts params = count_params(s.config.model);
  RunSummary r;
  r.run_name = std::filesystem::path(s.options.run_dir).filename().string();
  r.status = status;
  r.params_total = params.total;
  r.params_embedding = params.embedding;
  r.params_non_embedding = params.non_embedding;
  r.tokens = s.state.tokens;
  r.unique_tokens = double(s.loader.n_tokens());
  r.epochs = r.tokens / std::max(r.unique_tokens, 1.0);
  r.steps = s.state.step;
  r.budget_steps = s.total_steps;
  r.flops = log.flops_at(s.state.tokens);
  r.final_val_loss = s.state.last_val_loss;
  r.best_val_loss = s.state.best_val_loss;
  r.final_train_loss = log.last_loss();
  r.wall_time_s = wall;
  r.tokens_per_s = s.state.tokens / std::max(wall, 1e-9);
  r.mfu = log.mfu(r.tokens_per_s, s.dev.table_peak_flops);
  r.mfu_measured = log.mfu(r.tokens_per_s, log.measured_peak());
  r.peak_flops = s.dev.table_peak_flops;
  r.measured_peak_flops = log.measured_peak();
  r.device = s.dev.device_name;
  r.precision = s.dev.precision;
  r.world_size = s.options.world_size;
  r.torch_version = TORCH_VERSION;
  r.git_commit = source_git_commit();
  r.config = config_to_json(s.config);
  r.tags = s.options.tags;
  // A limited-data run says so where the analysis looks (fit --law data-constrained reads U there).
  if (s.config.data.unique_tokens > 0 && !r.tags.contains("unique_tokens"))
    r.tags["unique_tokens"] = r.unique_tokens;
  return r;
}

}  // namespace

RunSummary end_run(TrainSession& s, const MetricsLog& log, const RunClock& clock, RunStatus status,
                   const std::string& error, int stop_signal) {
  RunSummary summary = summarize(s, log, clock.elapsed_s(), status);
  summary.error = error;
  summary.stop_signal = stop_signal;
  if (!s.rank0()) return summary;
  write_summary(s.options.run_dir, summary);
  if (stop_signal != 0)
    log::info(
        log::format("[train] %s: stopped after step %ld with a checkpoint; continue with --resume",
                    signal_name(stop_signal).c_str(), (long)s.state.step));
  else if (status == RunStatus::paused)
    log::info(
        log::format("[train] paused after step %ld; continue with --resume", (long)s.state.step));
  else if (status != RunStatus::diverged)
    log::info(log::format("[train] done: %s, val_loss %.4f (best %.4f), %.0f tok/s, %.0fs",
                          enum_name(status).c_str(), summary.final_val_loss, summary.best_val_loss,
                          summary.tokens_per_s, summary.wall_time_s));
  log::stop_tee(log_path(s.options.run_dir));
  return summary;
}

void end_diverged(TrainSession& s, const MetricsLog& log, const RunClock& clock,
                  const StepResult& step) {
  const std::string what =
      std::isfinite(step.loss) ? "finite but the gradient norm is not" : std::to_string(step.loss);
  // Name what exists: the last good checkpoint, or that none was written before the loss broke.
  const auto kept = newest_checkpoint(s.options.run_dir);
  const std::string where =
      kept ? "The last good checkpoint is " + *kept + " (--resume continues from it)"
           : "No checkpoint was written before it (rerun with --force to start over)";
  const std::string message = log::format(
      "[train] loss became %s at step %ld; the run stopped. %s; lower optim.lr or raise "
      "schedule.warmup_steps",
      what.c_str(), (long)s.state.step + 1, where.c_str());
  end_run(s, log, clock, RunStatus::diverged, message);
  throw DivergedError(message);
}

std::string source_git_commit() {
  std::string cmd =
      std::string("git -C '") + SCALELAB_SOURCE_DIR + "' rev-parse --short HEAD 2>/dev/null";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[64];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

}  // namespace scalelab
