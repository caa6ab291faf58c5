#include "model/kernels/fused.h"

#include <cstdlib>
#include <string>

namespace scalelab::kernels {
namespace {

// SCALELAB_FUSED_KERNELS=0 in the environment starts every thread unfused: the whole program
// computes as before the fused kernels (to compare, or to rule them out).
bool fused_by_default() {
  const char* v = std::getenv("SCALELAB_FUSED_KERNELS");
  return !(v && std::string(v) == "0");
}

thread_local bool fused_on = fused_by_default();

}  // namespace

bool fused_enabled() {
  return fused_on;
}

bool cpu_fused(const torch::Tensor& t) {
  return fused_on && t.device().is_cpu() &&
         (t.scalar_type() == torch::kFloat || t.scalar_type() == torch::kDouble);
}

UnfusedScope::UnfusedScope() : previous_(fused_on) {
  fused_on = false;
}
UnfusedScope::~UnfusedScope() {
  fused_on = previous_;
}

}  // namespace scalelab::kernels
