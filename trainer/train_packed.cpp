// The packed training loop, the same steps as train() for each run, with the forward and backward
// passes of all runs in one: lr per run -> micro-steps over the stacked rows -> each run's clip and
// AdamW step -> each run's log, eval and checkpoint. A run that ends leaves the pack, which is
// stacked again from the runs that go on.
#include "trainer/train_packed.h"

#include <filesystem>
#include <set>

#include "common/log.h"
#include "core/budget.h"
#include "core/packing.h"
#include "core/schedule.h"
#include "model/packed_gpt.h"
#include "trainer/observers.h"
#include "trainer/run_end.h"
#include "trainer/session.h"
#include "trainer/train_step.h"

namespace scalelab {
namespace {

namespace fs = std::filesystem;

// One run of the pack: its session and the observers train() would give it.
struct Replica {
  std::unique_ptr<TrainSession> session;
  std::unique_ptr<RunClock> clock;
  std::unique_ptr<StepRunner> runner;  // its evaluation
  std::unique_ptr<MetricsLog> metrics;
  std::unique_ptr<Evaluator> evaluator;
  std::unique_ptr<Checkpointer> checkpointer;
  std::optional<RunSummary> summary;  // once its session has ended
  double lr = 0;
};

std::string describe(const PackedRun& run, size_t i) {
  return "run " + std::to_string(i + 1) + " (" + run.options.run_dir + ")";
}

// Opens every run's session; when one cannot start, the folders this call created are removed
// again (as open_session does for one run) and the error names the run.
std::vector<Replica> open_replicas(const std::vector<PackedRun>& runs) {
  std::vector<Replica> replicas(runs.size());
  std::vector<std::string> created;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& dir = runs[i].options.run_dir;
    std::error_code ec;
    const bool was_new = !fs::exists(dir) || fs::is_empty(dir, ec);
    try {
      replicas[i].session = open_session(runs[i].config, runs[i].options);
    } catch (const std::exception& e) {
      for (auto& r : replicas) r.session.reset();  // releases the folder locks
      for (const auto& d : created) {
        log::stop_tee(log_path(d));
        fs::remove_all(d, ec);
      }
      throw std::runtime_error(describe(runs[i], i) + ": " + e.what());
    }
    if (was_new) created.push_back(dir);
  }
  for (auto& r : replicas) {
    TrainSession& s = *r.session;
    r.clock = std::make_unique<RunClock>(s.state.wall_time_s);
    r.runner = std::make_unique<StepRunner>(s);
    r.metrics = std::make_unique<MetricsLog>(s, *r.clock);
    r.evaluator = std::make_unique<Evaluator>(s, *r.runner, *r.metrics);
    r.checkpointer = std::make_unique<Checkpointer>(s, *r.clock);
    s.model->train();
  }
  return replicas;
}

void log_start(const std::vector<Replica>& replicas) {
  const TrainSession& first = *replicas[0].session;
  const ParamCounts params = count_params(first.config.model);
  log::info(
      log::format("[train] a pack of %zu runs of N = %ld (non-embedding %ld), %ld sequences "
                  "x %ld tokens a step, on %s (%s):",
                  replicas.size(), (long)params.total, (long)params.non_embedding,
                  (long)first.config.train.batch_size, (long)first.config.model.block_size,
                  first.dev.device_name.c_str(), first.dev.precision.c_str()));
  for (const auto& r : replicas)
    log::info(log::format("[train]   %s: %ld steps from step %ld, seed %ld, lr %g",
                          r.session->options.run_dir.c_str(), (long)r.session->total_steps,
                          (long)r.session->state.step, (long)r.session->config.train.seed,
                          r.session->config.optim.lr));
}

// The micro-step's rows of every run in the pack, (K, rows, T + 1) on the device.
torch::Tensor packed_rows(const std::vector<Replica*>& pack, int64_t m,
                          std::vector<int64_t>& buffer) {
  const TrainSession& first = *pack[0]->session;
  const int64_t T = first.block_size(), micro = first.layout.micro_rows;
  const int64_t per_run = micro * (T + 1);
  buffer.resize(pack.size() * per_run);
  for (size_t k = 0; k < pack.size(); ++k) {
    TrainSession& s = *pack[k]->session;
    s.loader.fill(s.state.step, m * micro, (m + 1) * micro, buffer.data() + k * per_run);
  }
  return rows_to_device(buffer, int64_t(pack.size()) * micro, T + 1, first.dev.device)
      .view({int64_t(pack.size()), micro, T + 1});
}

// One optimizer step of every run of the pack; each run's StepResult, in pack order.
std::vector<StepResult> packed_step(PackedGPT& model, const std::vector<Replica*>& pack,
                                    std::vector<int64_t>& buffer) {
  const TrainSession& first = *pack[0]->session;
  const int64_t T = first.block_size(), n_micro = first.layout.n_micro;
  torch::Tensor loss_sum;
  for (int64_t m = 0; m < n_micro; ++m) {
    auto rows = packed_rows(pack, m, buffer);
    torch::Tensor losses;
    {
      AutocastGuard autocast(first.dev.bf16);
      losses = model.losses(rows.narrow(2, 0, T), rows.narrow(2, 1, T));
    }
    (losses.sum() / double(n_micro)).backward();
    auto part = losses.detach() / double(n_micro);
    loss_sum = loss_sum.defined() ? loss_sum + part : part;
  }
  model.hand_out_gradients();
  std::vector<StepResult> results(pack.size());
  for (size_t k = 0; k < pack.size(); ++k) {
    TrainSession& s = *pack[k]->session;
    results[k].lr = pack[k]->lr;
    results[k].grad_norm = clip_and_update(s.optimizer, s.config.optim.grad_clip, pack[k]->lr);
  }
  const auto losses = loss_sum.to(torch::kCPU, torch::kDouble);
  for (size_t k = 0; k < pack.size(); ++k) results[k].loss = losses[int64_t(k)].item<double>();
  return results;
}

// What train() does after a step, for one run; true when its session ended here.
// A step's own bookkeeping and metrics line; true when the run diverged and left the pack. Every
// run of the pack records its step before any of them evaluates or checkpoints (after_step), so a
// run's logged tokens/s times the pack's step, not the other runs' evaluations.
bool record_step(Replica& r, const StepResult& result) {
  TrainSession& s = *r.session;
  if (!result.finite()) {
    try {
      end_diverged(s, *r.metrics, *r.clock, result);
    } catch (const DivergedError& e) {
      log::error(s.options.run_dir + ": " + e.what() + " (the rest of the pack goes on)");
      r.summary = read_summary(s.options.run_dir);
      if (!r.summary) r.summary = RunSummary{};
      r.summary->status = RunStatus::diverged;
      return true;
    }
  }
  s.state.step += 1;
  s.state.tokens += tokens_per_step(s.config);
  r.metrics->after_step(result, s.state.step == s.total_steps);
  return false;
}

// The step's evaluation, checkpoint and end of run; true when the run ended.
bool after_step(Replica& r) {
  TrainSession& s = *r.session;
  const bool last = s.state.step == s.total_steps;
  const bool stop = r.evaluator->after_step(last);
  s.state.wall_time_s = r.clock->elapsed_s();
  s.state.metrics_bytes = r.metrics->bytes();
  if (const SessionPause p = r.checkpointer->after_step(last, stop); p.pause) {
    r.summary = end_run(s, *r.metrics, *r.clock, RunStatus::paused, "", p.signal);
    return true;
  }
  if (stop || last) {
    r.summary =
        end_run(s, *r.metrics, *r.clock,
                r.evaluator->stopped_early() ? RunStatus::early_stopped : RunStatus::finished);
    return true;
  }
  return false;
}

// Trains the runs that have not ended as one pack until one of them ends.
void train_until_one_ends(std::vector<Replica>& replicas, std::vector<int64_t>& buffer) {
  std::vector<Replica*> pack;
  std::vector<GPT> models;
  for (auto& r : replicas)
    if (!r.summary) pack.push_back(&r), models.push_back(r.session->model);
  PackedGPT model(models);
  while (true) {
    for (auto* r : pack) {
      const TrainSession& s = *r->session;
      r->lr = learning_rate(s.config.schedule, s.config.optim, s.state.step, s.total_steps);
    }
    const auto results = packed_step(model, pack, buffer);
    std::vector<bool> diverged(pack.size());
    for (size_t k = 0; k < pack.size(); ++k) diverged[k] = record_step(*pack[k], results[k]);
    bool ended = false;
    for (size_t k = 0; k < pack.size(); ++k) ended |= diverged[k] || after_step(*pack[k]);
    if (ended) return;
  }
}

}  // namespace

void check_pack(const std::vector<PackedRun>& runs) {
  if (runs.empty()) throw ConfigError("a pack needs at least one run (K = 0)");
  std::set<std::string> dirs;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto dir = fs::absolute(runs[i].options.run_dir).lexically_normal().string();
    if (!dirs.insert(dir).second)
      throw ConfigError(describe(runs[i], i) + ": the pack names this run folder twice");
    if (runs[i].options.world_size > 1 || runs[i].options.sync)
      throw ConfigError(describe(runs[i], i) +
                        ": packed runs train in one process, not data "
                        "parallel");
    if (i > 0)
      if (const auto d = pack_difference(runs[0].config, runs[i].config))
        throw ConfigError(describe(runs[i], i) + " cannot share a pack with " +
                          describe(runs[0], 0) + ": " + *d +
                          " (a pack shares the model and the batch layout)");
  }
  const bool cpu = runs[0].config.train.device == "cpu" ||
                   (runs[0].config.train.device == "auto" && !torch::cuda::is_available());
  const double have = cpu ? available_host_memory() : 0;
  double need = 0;
  for (const auto& r : runs) need += packed_run_bytes(r.config);
  if (have > 0 && need > have)
    throw ConfigError(log::format(
        "a pack of %zu runs needs about %.3g GB (%.3g GB each: weights, gradients, AdamW state "
        "and activations), more than the %.3g GB of memory available: pack fewer runs",
        runs.size(), need / 1e9, need / double(runs.size()) / 1e9, have / 1e9));
}

std::vector<RunSummary> train_packed(const std::vector<PackedRun>& runs) {
  check_pack(runs);
  std::vector<PackedRun> marked = runs;
  for (auto& r : marked) r.options.packed = true;
  auto replicas = open_replicas(marked);
  log_start(replicas);
  // A run already at its budget (a resumed session that ended at its last step) ends at once.
  for (auto& r : replicas)
    if (r.session->state.step >= r.session->total_steps)
      r.summary = end_run(*r.session, *r.metrics, *r.clock, RunStatus::finished);
  std::vector<int64_t> buffer;
  keep_freed_memory_for_reuse();
  auto open = [&] {
    for (const auto& r : replicas)
      if (!r.summary) return true;
    return false;
  };
  while (open()) train_until_one_ends(replicas, buffer);
  std::vector<RunSummary> out;
  for (auto& r : replicas) out.push_back(*r.summary);
  return out;
}

}  // namespace scalelab
