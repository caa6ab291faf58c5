// RMSNorm over the last dimension (Zhang and Sennrich 2019): x / sqrt(mean(x^2) + eps) * weight.
#pragma once

#include <torch/torch.h>

namespace scalelab::kernels {

// On CPU one fused loop forward and one backward (model/kernels/cpu/rms_norm.cpp), else
// at::rms_norm.
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

}  // namespace scalelab::kernels
