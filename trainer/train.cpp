#include "trainer/train.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#include "common/log.h"
#include "data/loader.h"
#include "model/counts.h"
#include "model/gpt.h"
#include "trainer/checkpoint.h"
#include "trainer/device.h"
#include "trainer/fused_adamw.h"
#include "trainer/run_folder.h"
#include "trainer/schedule.h"

namespace scalelab {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string duration_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) return log::format("%.0fs", s);
  if (s < 3600) return log::format("%.0fm%02.0fs", std::floor(s / 60), std::fmod(s, 60));
  return log::format("%.0fh%02.0fm", std::floor(s / 3600), std::fmod(s / 60, 60));
}

// Rows [begin, end) of a loader as (rows, T + 1) int64 on the device.
torch::Tensor rows_to_tensor(std::vector<int64_t>& buffer, int64_t n_rows, int64_t width,
                             const torch::Device& device) {
  auto cpu = torch::from_blob(buffer.data(), {n_rows, width}, torch::kInt64);
  return device.is_cpu() ? cpu.clone() : cpu.pin_memory().to(device, /*non_blocking=*/true);
}

nlohmann::json flops_json(const std::vector<ConventionFlops>& per_token, double tokens) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : per_token) j[to_string(f.convention)] = f.per_token * tokens;
  return j;
}

nlohmann::json config_json(const Config& config);

}  // namespace

int64_t budget_steps(const Config& c) {
  const double tokens_per_step = double(c.train.batch_size) * c.model.block_size;
  if (c.train.steps > 0) return c.train.steps;
  if (c.train.tokens > 0) return std::max<int64_t>(1, std::llround(std::ceil(c.train.tokens / tokens_per_step)));
  if (c.train.flops > 0) {
    const double per_token = training_flops_per_token(c.model, c.train.flop_convention);
    return std::max<int64_t>(1, std::llround(std::ceil(c.train.flops / (per_token * tokens_per_step))));
  }
  throw ConfigError("train: no budget; set one of train.steps, train.tokens or train.flops");
}

nlohmann::json train(const Config& config, const TrainOptions& opt) {
  const bool rank0 = opt.rank == 0;
  const std::string config_yaml = to_yaml(config);
  const ModelConfig& mc = config.model;
  const int64_t T = mc.block_size, B = config.train.batch_size;
  if (config.train.threads > 0) torch::set_num_threads(config.train.threads);
  const int64_t total_steps = budget_steps(config);

  // Rows of the global batch: this rank's slice, then micro-batches of it.
  if (B % opt.world_size != 0)
    throw ConfigError("train.batch_size: " + std::to_string(B) + " is not divisible by the world size " +
                      std::to_string(opt.world_size));
  const int64_t rows_per_rank = B / opt.world_size;
  const int64_t micro = config.train.micro_batch_size > 0 ? config.train.micro_batch_size : rows_per_rank;
  if (rows_per_rank % micro != 0)
    throw ConfigError("train.micro_batch_size: " + std::to_string(micro) + " must divide the rows per rank (" +
                      std::to_string(rows_per_rank) + ")");
  const int64_t n_micro = rows_per_rank / micro;

  if (config.data.path.empty()) throw ConfigError("data.path: not set; give the dataset folder from `scalelab prepare`");
  data::TrainLoader loader(config.data.path, T, static_cast<uint64_t>(config.train.seed), B);
  if (loader.vocab_size() > mc.vocab_size)
    throw ConfigError("model.vocab_size: " + std::to_string(mc.vocab_size) + " is smaller than the dataset's vocabulary (" +
                      std::to_string(loader.vocab_size()) + " in " + config.data.path + "/manifest.json)");
  const int64_t eval_rows = config.eval.batch_size > 0 ? config.eval.batch_size : B;
  data::ValLoader val_loader(config.data.path, T, eval_rows * config.eval.n_batches);

  DeviceChoice dev = choose_device(config.train);
  if (dev.device.is_cuda()) at::globalContext().setAllowTF32CuBLAS(true);  // TF32 for fp32 matmuls
  if (rank0) {
    claim_run_folder(opt.run_dir, config_yaml, opt.resume ? RunStart::resume : RunStart::fresh, opt.force);
    log::tee_to_file((std::filesystem::path(opt.run_dir) / "log.txt").string());
  }

  torch::manual_seed(config.train.seed);
  GPT model(mc);
  model->to(dev.device);
  FusedAdamW optimizer(model->parameters(), config.optim);
  TrainState state;
  if (opt.resume) {
    auto path = newest_checkpoint(opt.run_dir);
    if (!path) throw std::runtime_error(opt.run_dir + ": --resume found no checkpoint");
    std::string saved_yaml;
    state = load_checkpoint(*path, model, &optimizer, &saved_yaml);
    if (saved_yaml != config_yaml)
      log::warn("[train] the config differs from the checkpoint's; continuing with the new one");
    log::info(log::format("[train] resuming %s at step %ld", path->c_str(), (long)state.step));
  } else if (!opt.init_from.empty()) {
    auto path = newest_checkpoint(opt.init_from);
    if (!path) throw std::runtime_error(opt.init_from + ": --init-from found no checkpoint in " + checkpoint_dir(opt.init_from));
    load_checkpoint(*path, model, nullptr);
    log::info("[train] initialised from " + *path);
  }
  // Rank 0's weights (fresh, resumed or --init-from) on every rank, before the first step.
  if (opt.sync) opt.sync->attach(model->parameters());
  std::optional<MetricsWriter> metrics;  // rank 0 alone writes metrics.jsonl
  if (rank0) metrics.emplace(opt.run_dir, opt.resume ? state.metrics_bytes : -1);

  const ParamCounts params = count_params(mc);
  const auto flops_per_token = all_training_flops(mc);
  const double palm_per_token = training_flops_per_token(mc, FlopConvention::palm);
  std::optional<double> measured_peak;
  if (opt.measure_peak) {
    measured_peak = measure_matmul_peak(dev);
    log::info(log::format("[mfu] measured %s matmul peak: %.3g FLOP/s", dev.precision.c_str(), *measured_peak));
  }
  auto mfu = [&](double tokens_per_s, std::optional<double> peak) -> nlohmann::json {
    if (!peak) return nullptr;
    return tokens_per_s * palm_per_token / *peak;
  };
  log::info(log::format("[train] %s: N = %ld (non-embedding %ld), %ld steps x %ld sequences x %ld tokens on %s (%s)",
                        opt.run_dir.c_str(), (long)params.total, (long)params.non_embedding, (long)total_steps,
                        (long)B, (long)T, dev.device_name.c_str(), dev.precision.c_str()));

  auto evaluate = [&]() {
    torch::NoGradGuard no_grad;
    model->eval();
    std::vector<int64_t> buffer;
    double sum = 0;
    int64_t n = 0;
    // Each rank takes every world_size-th window batch; the sums are combined below.
    for (int64_t w = opt.rank * eval_rows; w < val_loader.n_windows(); w += eval_rows * opt.world_size) {
      const int64_t end = std::min(w + eval_rows, val_loader.n_windows());
      buffer.resize((end - w) * (T + 1));
      val_loader.fill(w, end, buffer.data());
      auto rows = rows_to_tensor(buffer, end - w, T + 1, dev.device);
      AutocastGuard autocast(dev.bf16);
      sum += model->loss(rows.narrow(1, 0, T), rows.narrow(1, 1, T)).item<double>() * (end - w);
      n += end - w;
    }
    model->train();
    if (opt.sync) return opt.sync->average(sum) / opt.sync->average(double(n));
    return sum / double(n);
  };

  std::vector<int64_t> buffer(micro * (T + 1));
  std::string status = "finished";
  const auto run_start = Clock::now();
  const double wall_before = state.wall_time_s;
  auto interval_start = Clock::now();
  int64_t interval_tokens = 0;
  double last_loss = std::nan(""), last_tokens_per_s = 0;
  model->train();

  while (state.step < total_steps) {
    const int64_t step = state.step;
    const double lr = learning_rate(config.schedule, config.optim, step, total_steps);

    // Micro-steps: this rank's rows of the step's global batch, gradients accumulated.
    torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(dev.device));
    for (int64_t m = 0; m < n_micro; ++m) {
      const int64_t row0 = opt.rank * rows_per_rank + m * micro;
      loader.fill(step, row0, row0 + micro, buffer.data());
      auto rows = rows_to_tensor(buffer, micro, T + 1, dev.device);
      torch::Tensor loss;
      {
        AutocastGuard autocast(dev.bf16);
        loss = model->loss(rows.narrow(1, 0, T), rows.narrow(1, 1, T));
      }
      if (opt.sync) opt.sync->before_backward(m == n_micro - 1);
      (loss / double(n_micro)).backward();
      loss_sum += loss.detach() / double(n_micro);
    }
    const double grad_norm =
        config.optim.grad_clip > 0
            ? torch::nn::utils::clip_grad_norm_(optimizer.params(), config.optim.grad_clip)
            : torch::nn::utils::clip_grad_norm_(optimizer.params(), std::numeric_limits<double>::infinity());
    optimizer.step(lr);
    optimizer.zero_grad();

    double loss_value = loss_sum.item<double>();
    if (opt.sync) loss_value = opt.sync->average(loss_value);
    if (!std::isfinite(loss_value) || !std::isfinite(grad_norm)) {
      status = "diverged";
      auto message = log::format("[train] loss became %s at step %ld; the run stopped. The last good checkpoint "
                                 "is kept in %s; lower optim.lr or raise schedule.warmup_steps",
                                 std::isfinite(loss_value) ? "finite but the gradient norm is not" : std::to_string(loss_value).c_str(),
                                 (long)step + 1, checkpoint_dir(opt.run_dir).c_str());
      if (rank0) {
        nlohmann::json s = {{"run_name", std::filesystem::path(opt.run_dir).filename().string()},
                            {"status", status}, {"steps", step}, {"error", message}};
        write_summary(opt.run_dir, s);
      }
      throw DivergedError(message);
    }
    state.step += 1;
    state.tokens += double(B) * T;
    interval_tokens += B * T;
    last_loss = loss_value;
    const bool last = state.step == total_steps;

    if (state.step % config.log.every == 0 || last) {
      synchronize(dev.device);
      last_tokens_per_s = interval_tokens / std::max(seconds_since(interval_start), 1e-9);
      nlohmann::json line = {{"kind", "train"}, {"step", state.step}, {"tokens", state.tokens},
                             {"loss", loss_value}, {"lr", lr}, {"grad_norm", grad_norm},
                             {"tokens_per_s", last_tokens_per_s}, {"mfu", mfu(last_tokens_per_s, dev.table_peak_flops)},
                             {"flops", flops_json(flops_per_token, state.tokens)}};
      if (measured_peak) line["mfu_measured"] = mfu(last_tokens_per_s, measured_peak);
      if (metrics) metrics->write(line);
      const double remaining = (total_steps - state.step) * double(B) * T / std::max(last_tokens_per_s, 1e-9);
      auto m = mfu(last_tokens_per_s, dev.table_peak_flops ? dev.table_peak_flops : measured_peak);
      log::info(log::format("[train] step %ld/%ld | loss %.4f | lr %.2e | %.0f tok/s | MFU %s | ETA %s",
                            (long)state.step, (long)total_steps, loss_value, lr, last_tokens_per_s,
                            m.is_null() ? "n/a" : log::format("%.1f%%", 100 * m.get<double>()).c_str(),
                            duration_text(remaining).c_str()));
      interval_start = Clock::now();
      interval_tokens = 0;
    }

    bool stop = false;
    if ((config.eval.every > 0 && state.step % config.eval.every == 0) || last) {
      const double val_loss = evaluate();
      state.last_val_loss = val_loss;
      if (val_loss < state.best_val_loss) {
        state.best_val_loss = val_loss;
        state.evals_since_best = 0;
      } else {
        state.evals_since_best += 1;
      }
      if (metrics)
        metrics->write({{"kind", "eval"}, {"step", state.step}, {"tokens", state.tokens}, {"val_loss", val_loss},
                       {"flops", flops_json(flops_per_token, state.tokens)}});
      log::info(log::format("[eval] step %ld | val_loss %.4f | best %.4f", (long)state.step, val_loss, state.best_val_loss));
      if (config.eval.early_stop_patience > 0 && state.evals_since_best >= config.eval.early_stop_patience) {
        status = "early_stopped";
        stop = true;
        log::info(log::format("[eval] early stop: no improvement in %ld evaluations", (long)state.evals_since_best));
      }
    }

    state.wall_time_s = wall_before + seconds_since(run_start);
    if (metrics) state.metrics_bytes = metrics->bytes();
    const bool pause = !last && !stop && opt.stop_after_step > 0 && state.step >= opt.stop_after_step;
    if (rank0 && ((config.checkpoint.every > 0 && state.step % config.checkpoint.every == 0) || last || stop || pause))
      save_checkpoint(opt.run_dir, model, optimizer, state, config_yaml, config.checkpoint.keep);
    if (pause) {
      log::info(log::format("[train] paused after step %ld; continue with --resume", (long)state.step));
      if (rank0) log::tee_to_file("");
      return {{"status", "paused"}, {"steps", state.step}};
    }
    if (stop) break;
  }

  const double wall = wall_before + seconds_since(run_start);
  const double run_tokens_per_s = state.tokens / std::max(wall, 1e-9);
  nlohmann::json summary = {
      {"run_name", std::filesystem::path(opt.run_dir).filename().string()},
      {"status", status},
      {"params", {{"total", params.total}, {"embedding", params.embedding}, {"non_embedding", params.non_embedding}}},
      {"tokens", state.tokens},
      {"steps", state.step},
      {"flops", flops_json(flops_per_token, state.tokens)},
      {"final_val_loss", state.last_val_loss},
      {"best_val_loss", state.best_val_loss},
      {"final_train_loss", last_loss},
      {"wall_time_s", wall},
      {"tokens_per_s", run_tokens_per_s},
      {"mfu", mfu(run_tokens_per_s, dev.table_peak_flops)},
      {"mfu_measured", mfu(run_tokens_per_s, measured_peak)},
      {"peak_flops", dev.table_peak_flops ? nlohmann::json(*dev.table_peak_flops) : nlohmann::json(nullptr)},
      {"measured_peak_flops", measured_peak ? nlohmann::json(*measured_peak) : nlohmann::json(nullptr)},
      {"device", dev.device_name},
      {"precision", dev.precision},
      {"world_size", opt.world_size},
      {"torch_version", TORCH_VERSION},
      {"git_commit", source_git_commit()},
      {"config", config_json(config)},
      {"tags", opt.tags}};
  if (rank0) {
    write_summary(opt.run_dir, summary);
    log::info(log::format("[train] done: %s, val_loss %.4f (best %.4f), %.0f tok/s, %s", status.c_str(),
                          state.last_val_loss, state.best_val_loss, run_tokens_per_s, duration_text(wall).c_str()));
    log::tee_to_file("");
  }
  return summary;
}

namespace {
// The resolved config as nested JSON (summary.json carries it for the analysis).
class JsonWriter {
 public:
  explicit JsonWriter(nlohmann::json& j) : j_(j) {}
  template <class T>
  void operator()(const char* name, const T& v) {
    if constexpr (std::is_enum_v<T>) j_[name] = to_string(v);
    else j_[name] = v;
  }
  template <class S>
  void section(const char* name, S& s) {
    nlohmann::json sub = nlohmann::json::object();
    JsonWriter w(sub);
    s.visit(w);
    j_[name] = sub;
  }

 private:
  nlohmann::json& j_;
};
nlohmann::json config_json(const Config& config) {
  nlohmann::json j = nlohmann::json::object();
  JsonWriter w(j);
  const_cast<Config&>(config).visit(w);
  return j;
}
}  // namespace

}  // namespace scalelab
