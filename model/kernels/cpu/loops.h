// Declarations of the loops of model/kernels/cpu/*.cpp for one instruction set. Included only by
// those files, which CMake compiles once per set with CPU_CAPABILITY naming it (DEFAULT, AVX2,
// AVX512): the inline namespace keeps the copies apart, as in ATen's own kernels.
#pragma once

#include <ATen/cpu/vec/functional.h>
#include <ATen/cpu/vec/vec.h>

#include "model/kernels/cpu_loops.h"

namespace scalelab::kernels {
inline namespace CPU_CAPABILITY {

template <class T>
void rms_norm_forward(const T* x, const T* w, T* y, T* rstd, int64_t rows, int64_t dim, double eps);
template <class T>
void rms_norm_backward(const T* dy, const T* x, const T* w, const T* rstd, T* dx, T* dw,
                       int64_t rows, int64_t dim);
template <class T>
void swiglu_forward(const T* gate_up, T* out, int64_t rows, int64_t hidden);
template <class T>
void swiglu_backward(const T* dout, const T* gate_up, T* dgate_up, int64_t rows, int64_t hidden);
template <class T>
void rope_split_forward(const T* qkv, const T* cos, const T* sin, T* q, T* k, T* v,
                        const HeadLayout& layout, int64_t begin, int64_t end);
template <class T>
void rope_split_backward(const T* dq, const T* dk, const T* dv, const T* cos, const T* sin, T* dqkv,
                         const HeadLayout& layout, int64_t begin, int64_t end);
template <class T>
void attention_forward(const T* q, const T* k, const T* v, T* out, T* lse, const HeadLayout& layout,
                       int64_t begin, int64_t end);
template <class T>
void attention_backward(const T* q, const T* k, const T* v, const T* out, const T* dout,
                        const T* lse, T* dq, T* dk, T* dv, const HeadLayout& layout, int64_t begin,
                        int64_t end);
template <class T>
void causal_softmax_forward(T* scores, int64_t rows, int64_t first_row, int64_t seq, double scale);
template <class T>
void causal_softmax_backward(const T* probs, T* grad, int64_t rows, int64_t first_row, int64_t seq,
                             double scale);
template <class T>
void cross_entropy_forward(T* logits, const int64_t* targets, T* losses, int64_t rows,
                           int64_t vocab, double grad_scale);

}  // namespace CPU_CAPABILITY
}  // namespace scalelab::kernels
