// This instruction set's loops as one table (SCALELAB_LOOPS_TABLE names it: loops_AVX2, ...).
#include "model/kernels/cpu/loops.h"

namespace scalelab::kernels {

template <class T>
CpuLoops<T> SCALELAB_LOOPS_TABLE() {
  return {&rms_norm_forward<T>,        &rms_norm_backward<T>,    &swiglu_forward<T>,
          &swiglu_backward<T>,         &rope_split_forward<T>,   &rope_split_backward<T>,
          &attention_forward<T>,       &attention_backward<T>,   &causal_softmax_forward<T>,
          &causal_softmax_backward<T>, &cross_entropy_forward<T>};
}

template CpuLoops<float> SCALELAB_LOOPS_TABLE<float>();
template CpuLoops<double> SCALELAB_LOOPS_TABLE<double>();

}  // namespace scalelab::kernels
