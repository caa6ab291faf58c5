// Cross-entropy over a small vocabulary, loss and gradient in one pass per row of logits l:
//   loss = logsumexp(l) - l[target],   dl = (softmax(l) - one_hot(target)) grad_scale,
// with logsumexp shifted by the row's maximum (no overflow). The gradient overwrites the logits:
// the backward of a mean loss needs nothing else.
#include <cmath>

#include "model/kernels/cpu/loops.h"

namespace scalelab::kernels {
inline namespace CPU_CAPABILITY {

template <class T>
void cross_entropy_forward(T* logits, const int64_t* targets, T* losses, int64_t rows,
                           int64_t vocab, double grad_scale) {
  using Vec = at::vec::Vectorized<T>;
  for (int64_t r = 0; r < rows; ++r) {
    T* l = logits + r * vocab;
    const T max =
        at::vec::reduce_all<T>([](Vec a, Vec b) { return at::vec::maximum(a, b); }, l, vocab);
    const T target_logit = l[targets[r]];
    at::vec::map<T>([max](Vec x) { return (x - Vec(max)).exp(); }, l, l, vocab);
    const T sum = at::vec::reduce_all<T>([](Vec a, Vec b) { return a + b; }, l, vocab);
    losses[r] = max + std::log(sum) - target_logit;
    const T scale = T(grad_scale) / sum;
    at::vec::map<T>([scale](Vec e) { return e * Vec(scale); }, l, l, vocab);
    l[targets[r]] -= T(grad_scale);
  }
}

template void cross_entropy_forward<float>(float*, const int64_t*, float*, int64_t, int64_t,
                                           double);
template void cross_entropy_forward<double>(double*, const int64_t*, double*, int64_t, int64_t,
                                            double);

}  // namespace CPU_CAPABILITY
}  // namespace scalelab::kernels
