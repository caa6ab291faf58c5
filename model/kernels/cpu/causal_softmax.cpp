// The softmax of causal self-attention over rows of (heads x T, T) scores, for heads whose two
// matmuls run as batched matmuls (model/kernels/attention.cpp): row r of a head holds query
// position i = r % T, which sees keys 0..i. Forward: p = softmax(scale s) over those keys, 0 after
// them. Backward (softmax's Jacobian): ds = scale p (dp - sum_j p_j dp_j), the gradient of the
// unscaled scores.
#include <algorithm>

#include "model/kernels/cpu/loops.h"

namespace scalelab::kernels {
inline namespace CPU_CAPABILITY {

template <class T>
void causal_softmax_forward(T* scores, int64_t rows, int64_t first_row, int64_t seq, double scale) {
  using Vec = at::vec::Vectorized<T>;
  const T sc = T(scale);
  for (int64_t r = 0; r < rows; ++r) {
    T* s = scores + r * seq;
    const int64_t keys = (first_row + r) % seq + 1;
    const T max =
        at::vec::reduce_all<T>([](Vec a, Vec b) { return at::vec::maximum(a, b); }, s, keys);
    const T shift = max * sc;
    at::vec::map<T>([sc, shift](Vec x) { return (x * Vec(sc) - Vec(shift)).exp(); }, s, s, keys);
    const T sum = at::vec::reduce_all<T>([](Vec a, Vec b) { return a + b; }, s, keys);
    const T inv = T(1) / sum;
    at::vec::map<T>([inv](Vec x) { return x * Vec(inv); }, s, s, keys);
    std::fill(s + keys, s + seq, T(0));
  }
}

template <class T>
void causal_softmax_backward(const T* probs, T* grad, int64_t rows, int64_t first_row, int64_t seq,
                             double scale) {
  using Vec = at::vec::Vectorized<T>;
  const T sc = T(scale);
  for (int64_t r = 0; r < rows; ++r) {
    const T* p = probs + r * seq;
    T* g = grad + r * seq;
    const int64_t keys = (first_row + r) % seq + 1;
    const T dot = at::vec::map2_reduce_all<T>([](Vec a, Vec b) { return a * b; },
                                              [](Vec a, Vec b) { return a + b; }, p, g, keys);
    at::vec::map2<T>([sc, dot](Vec pv, Vec gv) { return Vec(sc) * pv * (gv - Vec(dot)); }, g, p, g,
                     keys);
    std::fill(g + keys, g + seq, T(0));
  }
}

template void causal_softmax_forward<float>(float*, int64_t, int64_t, int64_t, double);
template void causal_softmax_forward<double>(double*, int64_t, int64_t, int64_t, double);
template void causal_softmax_backward<float>(const float*, float*, int64_t, int64_t, int64_t,
                                             double);
template void causal_softmax_backward<double>(const double*, double*, int64_t, int64_t, int64_t,
                                              double);

}  // namespace CPU_CAPABILITY
}  // namespace scalelab::kernels
