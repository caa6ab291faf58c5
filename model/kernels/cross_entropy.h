// The language-model loss: mean next-token cross-entropy of the logits x W^T.
#pragma once

#include <torch/torch.h>

namespace scalelab::kernels {

// x: (N, C) final hidden states, weight: (V, C) the LM head (or the tied embedding), targets: (N)
// int64 -> scalar mean cross-entropy in fp32. On CPU the logits exist only inside: one matmul, one
// fused loop that writes the loss and the logits' gradient at once
// (model/kernels/cpu/cross_entropy.cpp), and two matmuls in the backward. Otherwise
// cross_entropy(linear(x, W).float(), targets) in ATen (double stays double).
torch::Tensor linear_cross_entropy(const torch::Tensor& x, const torch::Tensor& weight,
                                   const torch::Tensor& targets);

}  // namespace scalelab::kernels
