// Data-parallel benchmark (not a test): what fraction of a training step goes to communication,
// for one model size, on the ranks of a torchrun launch (Gloo on CPU, NCCL on CUDA). Each rank
// times the same training step three ways:
//   synced    the real step: the Reducer's bucketed all-reduce overlapping the backward pass;
//   local     the same step with the all-reduce switched off (DDP's no_sync): compute only;
//   allreduce all-reducing the model's gradient volume alone, in the same 25 MB buckets.
// allreduce_fraction = allreduce / synced: the step's communication if none of it overlapped.
// sync_overhead_fraction = (synced - local) / synced: what synchronising really adds to a step,
// i.e. communication not hidden behind the backward pass, the Reducer's bucket copies, and waiting
// for the slowest rank (on a shared machine the ranks drift apart between steps).
// Rank 0 prints one JSON object; bench/bench_dist.sh runs two sizes and stores raw results.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/counts.h"
#include "model/gpt.h"
#include "trainer/device.h"
#include "trainer/distributed.h"
#include "trainer/fused_adamw.h"

using namespace scalelab;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  ModelConfig mc;
  mc.vocab_size = 4096;
  mc.block_size = 128;
  int64_t batch = 8, steps = 10, warmup = 3, threads = 1, micro = 0;
  std::string device = "auto";
  CLI::App app{"scalelab data-parallel communication benchmark (run under torchrun)"};
  app.add_option("--n-layer", mc.n_layer);
  app.add_option("--n-embd", mc.n_embd);
  app.add_option("--n-head", mc.n_head);
  app.add_option("--block-size", mc.block_size);
  app.add_option("--vocab-size", mc.vocab_size);
  app.add_option("--batch", batch, "Global sequences per step (split across ranks)");
  app.add_option("--micro-batch", micro,
                 "Sequences per rank and micro-step (0 = all of the rank's)");
  app.add_option("--steps", steps, "Timed steps per mode");
  app.add_option("--warmup", warmup,
                 "Untimed synced steps first (the Reducer rebuilds its buckets)");
  app.add_option("--threads", threads, "CPU intra-op threads per rank");
  app.add_option("--device", device, "auto, cpu or cuda");
  CLI11_PARSE(app, argc, argv);

  try {
    auto env = read_launch_env();
    if (!env)
      throw std::runtime_error(
          "run me under torchrun, e.g. torchrun --nproc-per-node 2 --no-python bench_dist");
    torch::set_num_threads(static_cast<int>(threads));
    const std::string dev_name = rank_device(device, *env);
    DataParallel dp(*env, dev_name);
    const torch::Device dev(dev_name);
    const int64_t rows = batch / env->world_size;
    if (micro <= 0) micro = rows;
    if (rows * env->world_size != batch || rows % micro != 0)
      throw std::runtime_error("--batch must split evenly into ranks and --micro-batch");

    torch::manual_seed(1234);
    GPT model(mc);
    model->to(dev);
    FusedAdamW optimizer(model->parameters(), OptimConfig{});
    dp.attach(model->parameters());
    torch::manual_seed(99 + env->rank);  // each rank its own tokens
    auto tokens = torch::randint(mc.vocab_size, {rows, mc.block_size + 1},
                                 torch::TensorOptions().dtype(torch::kInt64))
                      .to(dev);

    auto step = [&](bool sync) {
      for (int64_t m = 0; m < rows / micro; ++m) {
        auto x = tokens.narrow(0, m * micro, micro);
        auto loss = model->loss(x.narrow(1, 0, mc.block_size), x.narrow(1, 1, mc.block_size));
        dp.before_backward(sync && m == rows / micro - 1);
        loss.backward();
      }
      optimizer.step(1e-4);
      optimizer.zero_grad();
      synchronize(dev);
    };
    // Mean seconds per step; a barrier first so that every rank starts together.
    auto time_steps = [&](bool sync) {
      dp.barrier();
      const auto start = Clock::now();
      for (int64_t i = 0; i < steps; ++i) step(sync);
      return std::chrono::duration<double>(Clock::now() - start).count() / double(steps);
    };
    for (int64_t i = 0; i < warmup; ++i) step(true);
    const double synced = time_steps(true);
    const double local = time_steps(false);
    dp.barrier();
    const ParamCounts params = count_params(mc);
    const double allreduce = dp.allreduce_seconds(params.total, static_cast<int>(steps));
    // Every rank's figures, averaged: the ranks share the machine's cores.
    const double synced_mean = dp.average(synced), local_mean = dp.average(local),
                 allreduce_mean = dp.average(allreduce);
    if (env->rank == 0) {
      nlohmann::json j = {{"config",
                           {{"n_layer", mc.n_layer},
                            {"n_embd", mc.n_embd},
                            {"n_head", mc.n_head},
                            {"block_size", mc.block_size},
                            {"vocab_size", mc.vocab_size},
                            {"global_batch", batch},
                            {"micro_batch", micro},
                            {"steps", steps},
                            {"warmup", warmup},
                            {"threads_per_rank", threads}}},
                          {"world_size", env->world_size},
                          {"backend", dp.backend()},
                          {"device", dev_name},
                          {"params_total", params.total},
                          {"gradient_bytes", params.total * 4},
                          {"seconds_per_step_synced", synced_mean},
                          {"seconds_per_step_local", local_mean},
                          {"seconds_allreduce_gradients", allreduce_mean},
                          {"allreduce_fraction", allreduce_mean / synced_mean},
                          {"sync_overhead_fraction", (synced_mean - local_mean) / synced_mean},
                          {"torch_version", TORCH_VERSION}};
      std::cout << j.dump() << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_dist: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
