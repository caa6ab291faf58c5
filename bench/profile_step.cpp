// Where the time of one training step goes (not a test): builds the model of a config, runs the
// trainer's step (trainer/train_step.h: forward, fp32 cross-entropy, backward, clipping, fused
// AdamW, zero_grad) on random token rows, and reports
//   - wall-clock ms per step (median over --steps, no profiler) and page faults per step (a page
//     fault is a fresh page of memory: allocation that the allocator did not recycle);
//   - under LibTorch's autograd profiler, each operator's self time per step (time inside it minus
//     the operators it called), grouped by what it does; "outside operators" is what the step
//     spends in none (the autograd engine's own bookkeeping, the trainer's code).
// The profiler adds about a microsecond per operator, so its shares overstate many-small-op
// overhead somewhat; the unprofiled ms/step is the figure to compare.
// bench/profile_step.sh runs the shapes and stores raw JSON in bench/results/.
#include <sys/resource.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/counts.h"
#include "model/gpt.h"
#include "model/kernels/cpu_loops.h"
#include "trainer/fused_adamw.h"
#include "trainer/train_step.h"

using namespace scalelab;
using Clock = std::chrono::steady_clock;
namespace prof = torch::autograd::profiler;

namespace {

// Operator name -> group; the first group whose fragment the name contains wins.
const std::vector<std::pair<std::string, std::vector<std::string>>> kGroups = {
    {"autograd engine (nodes, AccumulateGrad)", {"autograd::engine", "AccumulateGrad"}},
    {"attention", {"attention", "CausalAttention"}},
    {"cross-entropy over the vocabulary",
     {"log_softmax", "nll_loss", "cross_entropy", "CrossEntropy"}},
    {"matmul", {"aten::mm", "aten::addmm", "aten::bmm", "aten::matmul", "aten::linear"}},
    {"norm", {"rms_norm", "layer_norm", "RmsNorm"}},
    {"rope and head split", {"split_heads", "SplitHeads"}},
    {"activation (silu, gelu, swiglu)", {"silu", "gelu", "swiglu", "SwiGlu"}},
    {"embedding", {"embedding", "index_select", "index_add", "scalelab::embedding"}},
    {"optimizer + clipping", {"adamw", "_foreach", "norm", "clip", "stack"}},
    {"element-wise (add, mul, cat, ...)",
     {"aten::add", "aten::mul", "aten::sub", "aten::div", "aten::neg", "aten::pow", "aten::rsqrt",
      "aten::mean", "aten::sum", "aten::cat", "aten::exp", "aten::where", "aten::masked_fill"}},
    {"allocation, fill, copy",
     {"aten::empty", "aten::zeros", "aten::ones", "aten::fill_", "aten::zero_", "aten::copy_",
      "aten::clone", "aten::contiguous", "aten::to", "aten::_to_copy", "aten::resize_"}},
    {"views and metadata",
     {"aten::view",    "aten::reshape",        "aten::transpose",    "aten::narrow",
      "aten::slice",   "aten::select",         "aten::as_strided",   "aten::unsqueeze",
      "aten::expand",  "aten::split",          "aten::chunk",        "aten::t",
      "aten::detach",  "aten::alias",          "aten::_unsafe_view", "aten::permute",
      "aten::squeeze", "aten::_reshape_alias", "aten::unbind",       "aten::lift"}},
};

std::string group_of(const std::string& op) {
  for (const auto& [group, fragments] : kGroups)
    for (const auto& f : fragments)
      if (op.find(f) != std::string::npos) return group;
  return "other operators";
}

struct OpStats {
  double self_us = 0;
  int64_t calls = 0;
};

// Self time per operator name from the profiler's push/pop ranges (nested per thread).
std::map<std::string, OpStats> self_times(const prof::thread_event_lists& lists,
                                          double* top_level_us) {
  std::map<std::string, OpStats> stats;
  *top_level_us = 0;
  for (const auto& events : lists) {
    struct Open {
      const prof::LegacyEvent* push;
      double children_us;
    };
    std::vector<Open> stack;
    for (const auto& e : events) {
      if (e.kind() == prof::EventKind::PushRange) {
        stack.push_back({&e, 0.0});
      } else if (e.kind() == prof::EventKind::PopRange && !stack.empty()) {
        const Open open = stack.back();
        stack.pop_back();
        const double total = open.push->cpuElapsedUs(e);
        auto& s = stats[open.push->name()];
        s.self_us += total - open.children_us;
        s.calls += 1;
        if (stack.empty())
          *top_level_us += total;
        else
          stack.back().children_us += total;
      }
    }
  }
  return stats;
}

// CPU seconds of this thread: unlike wall-clock time, not moved by other processes taking the core.
double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
}

long minor_faults() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_minflt;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "configs/tiny.yaml", json_out, label;
  std::vector<std::string> overrides;
  int64_t warmup = 10, steps = 40, profiled = 10, top = 25;
  CLI::App app{"Where the time of one scalelab training step goes (CPU, one process)"};
  app.add_option("--config", config_path, "Config YAML (its model, batch and optimizer)");
  app.add_option("--set", overrides, "key.path=value override (repeatable)");
  app.add_option("--warmup", warmup, "Untimed steps first");
  app.add_option("--steps", steps, "Timed steps without the profiler");
  app.add_option("--profiled", profiled, "Steps under the profiler");
  app.add_option("--top", top, "Operators listed by self time");
  app.add_option("--label", label, "Name of this shape in the output");
  app.add_option("--json", json_out, "Write the figures here");
  CLI11_PARSE(app, argc, argv);
  try {
    const Config config = load_config(config_path, overrides);
    keep_freed_memory_for_reuse();  // as the trainer's StepRunner does
    if (config.train.threads > 0) torch::set_num_threads(int(config.train.threads));
    const int64_t B = config.train.batch_size, T = config.model.block_size;
    torch::manual_seed(config.train.seed);
    GPT model(config.model);
    model->train();
    FusedAdamW optimizer(model->parameters(), config.optim);
    auto rows = torch::randint(config.model.vocab_size, {B, T + 1}, torch::kInt64);
    auto step = [&] {
      forward_backward(model, rows.narrow(1, 0, T), rows.narrow(1, 1, T), 1, false);
      return clip_and_update(optimizer, config.optim.grad_clip, config.optim.lr);
    };
    for (int64_t i = 0; i < warmup; ++i) step();

    std::vector<double> ms, cpu_ms;
    const long faults0 = minor_faults();
    for (int64_t i = 0; i < steps; ++i) {
      const auto t0 = Clock::now();
      const double c0 = thread_cpu_ms();
      step();
      cpu_ms.push_back(thread_cpu_ms() - c0);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(cpu_ms.begin(), cpu_ms.end());
    const double faults_per_step = double(minor_faults() - faults0) / double(steps);
    std::sort(ms.begin(), ms.end());
    const double median_ms = ms[ms.size() / 2];

    prof::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(
        torch::profiler::impl::ProfilerState::CPU, false, false));
    const auto p0 = Clock::now();
    for (int64_t i = 0; i < profiled; ++i) step();
    const double profiled_us = std::chrono::duration<double, std::micro>(Clock::now() - p0).count();
    const auto lists = prof::disableProfilerLegacy();
    double top_level_us = 0;
    const auto stats = self_times(lists, &top_level_us);

    std::map<std::string, double> groups;
    for (const auto& [op, s] : stats) groups[group_of(op)] += s.self_us;
    groups["outside operators (engine, trainer code)"] = profiled_us - top_level_us;
    std::vector<std::pair<std::string, OpStats>> ops(stats.begin(), stats.end());
    std::sort(ops.begin(), ops.end(),
              [](const auto& a, const auto& b) { return a.second.self_us > b.second.self_us; });

    const auto counts = count_params(config.model);
    nlohmann::json out = {
        {"label", label},
        {"params_total", counts.total},
        {"n_layer", config.model.n_layer},
        {"n_embd", config.model.n_embd},
        {"n_head", config.model.n_head},
        {"batch_size", B},
        {"block_size", T},
        {"vocab_size", config.model.vocab_size},
        {"threads", torch::get_num_threads()},
        {"cpu_loops_isa", kernels::cpu_loops_isa()},
        {"torch_version", TORCH_VERSION},
        {"ms_per_step_median", median_ms},
        {"ms_per_step_samples", ms},
        {"tokens_per_s", double(B * T) / (median_ms / 1e3)},
        {"cpu_ms_per_step_median", cpu_ms[cpu_ms.size() / 2]},
        {"page_faults_per_step", faults_per_step},
        {"profiled_ms_per_step", profiled_us / 1e3 / double(profiled)},
        {"operator_calls_per_step", 0},
    };
    int64_t calls = 0;
    for (const auto& [op, s] : stats) calls += s.calls;
    out["operator_calls_per_step"] = double(calls) / double(profiled);
    std::vector<std::pair<std::string, double>> sorted(groups.begin(), groups.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    std::printf(
        "%s: N = %ld, B x T = %ld x %ld, %d thread(s): %.2f ms/step (%.0f tokens/s), CPU %.2f "
        "ms/step, %.0f page faults/step, %.0f operator calls/step\n",
        label.c_str(), (long)counts.total, (long)B, (long)T, torch::get_num_threads(), median_ms,
        double(B * T) / (median_ms / 1e3), cpu_ms[cpu_ms.size() / 2], faults_per_step,
        double(calls) / double(profiled));
    std::printf("  under the profiler %.2f ms/step; self time by group:\n",
                profiled_us / 1e3 / double(profiled));
    for (const auto& [g, us] : sorted) {
      std::printf("  %5.1f%%  %7.3f ms  %s\n", 100 * us / profiled_us, us / 1e3 / double(profiled),
                  g.c_str());
      out["group_share"][g] = us / profiled_us;
      out["group_ms_per_step"][g] = us / 1e3 / double(profiled);
    }
    std::printf("  top operators by self time (ms/step, calls/step):\n");
    for (int64_t i = 0; i < std::min<int64_t>(top, int64_t(ops.size())); ++i) {
      const auto& [op, s] = ops[size_t(i)];
      std::printf("    %7.3f  %5.1f  %s\n", s.self_us / 1e3 / double(profiled),
                  double(s.calls) / double(profiled), op.c_str());
      out["top_operators"].push_back({{"name", op},
                                      {"ms_per_step", s.self_us / 1e3 / double(profiled)},
                                      {"calls_per_step", double(s.calls) / double(profiled)},
                                      {"group", group_of(op)}});
    }
    if (!json_out.empty()) {
      std::ofstream f(json_out);
      f << out.dump(1) << "\n";
      if (!f) throw std::runtime_error(json_out + ": cannot write");
    }
  } catch (const std::exception& e) {
    std::cerr << "profile_step: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
