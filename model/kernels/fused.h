// What the fused kernels of model/kernels/ share: when they apply, and a switch back to the plain
// ATen composition that the model used before them (the reference that tests compare against).
#pragma once

#include <torch/torch.h>

#include "model/kernels/chunks.h"

namespace scalelab::kernels {

// True when the fused CPU loops take t: a CPU tensor of float or double, fused ops not switched
// off in this thread. Anything else (CUDA, bf16 under autocast) takes the ATen composition.
bool cpu_fused(const torch::Tensor& t);
// False within an UnfusedScope.
bool fused_enabled();

// Within its scope (this thread) every op in model/kernels/ computes the plain ATen composition,
// bit for bit the model's computation before these kernels existed. SCALELAB_FUSED_KERNELS=0 in
// the environment does the same for the whole program.
class UnfusedScope {
 public:
  UnfusedScope();
  ~UnfusedScope();
  UnfusedScope(const UnfusedScope&) = delete;
  UnfusedScope& operator=(const UnfusedScope&) = delete;

 private:
  bool previous_;
};

// Calls f(T{}) with T = float or double, t's dtype: f is a generic lambda taking the scalar type
// as `auto zero` (using T = decltype(zero)).
template <class F>
auto by_dtype(const torch::Tensor& t, F&& f) {
  if (t.scalar_type() == torch::kDouble) return f(double{});
  TORCH_CHECK(t.scalar_type() == torch::kFloat, "fused CPU kernels take float or double, not ",
              t.scalar_type());
  return f(float{});
}

}  // namespace scalelab::kernels
