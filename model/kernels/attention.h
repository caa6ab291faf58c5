// Causal self-attention over (B, H, T, head_dim) heads, returning (B, T, H head_dim) for the
// output projection.
#pragma once

#include <torch/torch.h>

namespace scalelab::kernels {

enum class AttentionPath {
  automatic,  // on CPU: rows up to kMaxRowHeadDim, batched up to kMaxFusedHeadDim, else sdpa
  rows,       // one fused loop a query row at a time, along the keys (cpu/attention.cpp)
  batched,    // batched matmuls around a fused causal softmax (cpu/causal_softmax.cpp)
  sdpa,       // at::scaled_dot_product_attention (LibTorch's flash kernel on CPU)
};

// q: (B, H, T, hd); k, v: (B, Hkv, T, hd) (grouped-query heads when Hkv < H); alibi: (1, H, T, T)
// additive bias or undefined. On CPU without a bias, two fused paths with hand-written backward
// passes: `rows` keeps one head at a time in cache and nothing T x T, and is the fastest on heads
// of up to kMaxRowHeadDim (its loops along the keys do not care how small hd is); `batched` runs
// the scores of all heads as one batched matmul (kept for the backward: up to kMaxScores of them)
// and is the fastest up to kMaxFusedHeadDim, multi-head only. Otherwise (CUDA, a bias, larger or
// grouped heads beyond those limits) sdpa. Forward and backward, one thread, B = 8, H = 4,
// T = 128: rows / batched / sdpa 1.37 / 1.40 / 1.76 ms at hd 8, 2.2 / 1.65 / 1.8 at hd 16, 4.5 /
// 2.3 / 2.8 at hd 32 (this 2-core VM, CPU time, interleaved).
torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& alibi,
                               AttentionPath path = AttentionPath::automatic);

constexpr int64_t kMaxRowHeadDim = 8;
constexpr int64_t kMaxFusedHeadDim = 64;
constexpr int64_t kMaxScores = int64_t(64) << 20;  // 256 MB a layer in fp32

}  // namespace scalelab::kernels
