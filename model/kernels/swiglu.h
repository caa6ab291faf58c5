// The SwiGLU activation (Shazeer 2020) on the output of the fused gate/up projection: for
// gate_up = [g | u] along the last dimension, silu(g) * u.
#pragma once

#include <torch/torch.h>

namespace scalelab::kernels {

// gate_up (..., 2 F) -> (..., F). On CPU one fused loop forward and one backward
// (model/kernels/cpu/swiglu.cpp), else silu(g) * u in ATen.
torch::Tensor swiglu(const torch::Tensor& gate_up);

}  // namespace scalelab::kernels
