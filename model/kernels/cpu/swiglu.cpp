// SwiGLU (Shazeer 2020) on rows laid out [g | u]: out = silu(g) u, silu(g) = g s, s = sigmoid(g).
// Backward: dg = dout u s (1 + g (1 - s)), du = dout silu(g).
#include "model/kernels/cpu/loops.h"

namespace scalelab::kernels {
inline namespace CPU_CAPABILITY {

template <class T>
void swiglu_forward(const T* gate_up, T* out, int64_t rows, int64_t hidden) {
  using Vec = at::vec::Vectorized<T>;
  const Vec one(T(1));
  for (int64_t r = 0; r < rows; ++r) {
    const T* g = gate_up + r * 2 * hidden;
    at::vec::map2<T>([one](Vec gv, Vec uv) { return gv / (one + gv.neg().exp()) * uv; },
                     out + r * hidden, g, g + hidden, hidden);
  }
}

template <class T>
void swiglu_backward(const T* dout, const T* gate_up, T* dgate_up, int64_t rows, int64_t hidden) {
  using Vec = at::vec::Vectorized<T>;
  const Vec one(T(1));
  for (int64_t r = 0; r < rows; ++r) {
    const T *g = gate_up + r * 2 * hidden, *u = g + hidden, *dy = dout + r * hidden;
    T *dg = dgate_up + r * 2 * hidden, *du = dg + hidden;
    int64_t d = 0;
    auto step = [&](int64_t n) {
      const Vec gv = Vec::loadu(g + d, n), uv = Vec::loadu(u + d, n), dyv = Vec::loadu(dy + d, n);
      const Vec s = one / (one + gv.neg().exp());
      (dyv * uv * s * (one + gv * (one - s))).store(dg + d, n);
      (dyv * gv * s).store(du + d, n);
    };
    for (; d + Vec::size() <= hidden; d += Vec::size()) step(Vec::size());
    if (d < hidden) step(hidden - d);
  }
}

template void swiglu_forward<float>(const float*, float*, int64_t, int64_t);
template void swiglu_forward<double>(const double*, double*, int64_t, int64_t);
template void swiglu_backward<float>(const float*, const float*, float*, int64_t, int64_t);
template void swiglu_backward<double>(const double*, const double*, double*, int64_t, int64_t);

}  // namespace CPU_CAPABILITY
}  // namespace scalelab::kernels
