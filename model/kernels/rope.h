// The heads of the fused q/k/v projection, rotated by position (rotary embedding, Su et al. 2021,
// in Hugging Face Llama's half-split convention) and laid out for attention.
#pragma once

#include <torch/torch.h>

#include <tuple>

namespace scalelab::kernels {

// x: (B, H, T, head_dim) rotated by position; cos, sin: (T, head_dim) tables. The plain ATen
// form, x cos + rotate_half(x) sin.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos,
                         const torch::Tensor& sin);

// qkv: (B, T, (H + 2 Hkv) head_dim), the q, k, v projections side by side -> q (B, H, T, hd),
// k and v (B, Hkv, T, hd), q and k rotated when cos and sin are defined. On CPU one fused loop
// forward and one backward (model/kernels/cpu/rope.cpp; the outputs are contiguous), else views,
// transposes and apply_rope in ATen.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> split_heads(
    const torch::Tensor& qkv, const torch::Tensor& cos, const torch::Tensor& sin, int64_t n_head,
    int64_t n_kv_head, int64_t head_dim);

}  // namespace scalelab::kernels
