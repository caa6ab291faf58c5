// CUDA path (issue 9): the attention backend our shapes get in bf16, and the bf16 CUDA trainer
// against the fp32 CPU trainer. Every test skips where LibTorch sees no CUDA device (CI, this
// project's CPU machines); bench/gpu/run_on_gpu.sh runs them on the GPU machine.
#include <ATen/SDPBackend.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "trainer/train.h"
#include "tests/support/datasets.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

Config config_at(const std::string& relative, const std::vector<std::string>& overrides = {}) {
  return load_config(std::string(SCALELAB_SOURCE_DIR) + "/" + relative, overrides);
}

// The backend scaled_dot_product_attention would run for the q, k, v that model/gpt.cpp's
// AttentionImpl makes from a config: projections viewed as (B, T, H, hd), transposed to
// (B, H, T, hd), causal, GQA when n_kv_head < n_head.
at::SDPBackend backend_for(const Config& c, torch::Dtype dtype) {
  const auto& m = c.model;
  const int64_t B = c.train.batch_size, T = m.block_size, hd = m.head_dim();
  auto opts = torch::TensorOptions().device(torch::kCUDA).dtype(dtype);
  auto make = [&](int64_t heads) {
    return torch::randn({B, T, heads, hd}, opts).transpose(1, 2).requires_grad_(true);
  };
  auto q = make(m.n_head), k = make(m.kv_heads()), v = make(m.kv_heads());
  const bool gqa = m.kv_heads() != m.n_head;
  return static_cast<at::SDPBackend>(at::_fused_sdp_choice(q, k, v, /*attn_mask=*/{},
                                                           /*dropout_p=*/0.0, /*is_causal=*/true,
                                                           /*scale=*/std::nullopt, gqa));
}

const char* backend_name(at::SDPBackend b) {
  switch (b) {
    case at::SDPBackend::flash_attention:
      return "flash";
    case at::SDPBackend::efficient_attention:
      return "efficient";
    case at::SDPBackend::cudnn_attention:
      return "cudnn";
    case at::SDPBackend::math:
      return "math";
    case at::SDPBackend::overrideable:
      return "overrideable";
    default:
      return "error";
  }
}

}  // namespace

TEST(Cuda, FlashAttentionIsChosenForOurShapesInBf16) {
  SKIP_WITHOUT_CUDA();
  std::vector<std::pair<std::string, Config>> shapes = {
      {"debug", config_at("configs/debug.yaml")},
      {"gpt-1m", config_at("configs/ladder/gpt-1m.yaml")},
      {"gpt-10m", config_at("configs/ladder/gpt-10m.yaml")},
      {"gpt-50m", config_at("configs/ladder/gpt-50m.yaml", {"train.batch_size=16"})},
      {"gpt-124m", config_at("configs/ladder/gpt-124m.yaml", {"train.batch_size=16"})},
      {"gpt-350m", config_at("configs/ladder/gpt-350m.yaml", {"train.batch_size=8"})},
      {"gpt-124m GQA 12:4",
       config_at("configs/ladder/gpt-124m.yaml", {"train.batch_size=16", "model.n_kv_head=4"})},
  };
  for (const auto& [name, config] : shapes) {
    auto backend = backend_for(config, torch::kBFloat16);
    EXPECT_EQ(backend, at::SDPBackend::flash_attention)
        << name << " (head_dim " << config.model.head_dim() << ", T " << config.model.block_size
        << ") gets " << backend_name(backend);
  }
  // The check discriminates: flash has no fp32 kernel, so fp32 inputs must get another backend.
  EXPECT_NE(backend_for(config_at("configs/ladder/gpt-124m.yaml", {"train.batch_size=2"}),
                        torch::kFloat32),
            at::SDPBackend::flash_attention);
}

TEST(Cuda, Bf16LossTraceMatchesCpuFp32OnTheDebugModel) {
  SKIP_WITHOUT_CUDA();
  auto dir = temp_dir("cuda_vs_cpu");
  const std::string data = shared_dataset();
  auto run = [&](const std::string& device) {
    Config c = config_at("configs/debug.yaml",
                         {"data.path=" + data, "train.steps=50", "log.every=1", "eval.every=0",
                          "eval.n_batches=1", "train.device=" + device});
    TrainOptions o;
    o.run_dir = (dir / device).string();
    auto summary = train(c, o);
    EXPECT_EQ(summary.precision, device == "cpu" ? "fp32" : "bf16");
    return losses_of(dir / device);
  };
  const auto cpu = run("cpu"), cuda = run("cuda");
  ASSERT_EQ(cpu.size(), 50u);
  ASSERT_EQ(cuda.size(), 50u);
  // Same seed, same weights (both built on the CPU generator) and the same batches, so only the
  // arithmetic differs. bf16 keeps 8 significant bits (relative rounding 2^-9 ~ 0.2%); summed over
  // a step's matmuls and compounded over 50 updates we allow 3% of the loss.
  constexpr double kRelTol = 0.03;
  double worst = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    ASSERT_TRUE(std::isfinite(cuda[i])) << "step " << i + 1;
    worst = std::max(worst, std::abs(cuda[i] - cpu[i]) / cpu[i]);
    EXPECT_NEAR(cuda[i], cpu[i], kRelTol * cpu[i]) << "step " << i + 1;
  }
  // The comparison must be able to tell a broken step from a good one: over 50 steps the loss falls
  // by far more than the tolerance, so a CUDA step that did not learn (or learned wrongly) fails.
  EXPECT_GT(cpu.front() - cpu.back(), 5 * kRelTol * cpu.front());
  std::printf(
      "[cuda] loss %.4f -> %.4f (cpu) vs %.4f -> %.4f (cuda); worst relative difference %.2e\n",
      cpu.front(), cpu.back(), cuda.front(), cuda.back(), worst);
  std::filesystem::remove_all(dir);
}
