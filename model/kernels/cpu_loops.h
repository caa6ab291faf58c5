// The fused CPU kernels' inner loops: plain functions over contiguous rows behind raw pointers,
// written on ATen's vector types (at::vec) and compiled once per instruction set that ATen itself
// dispatches on (model/kernels/cpu/*.cpp, see model/CMakeLists.txt). cpu_loops<T>() returns the
// set that ATen uses on this machine (at::get_cpu_capability(), which honours the
// ATEN_CPU_CAPABILITY environment variable), so our loops and ATen's run the same instructions.
// The autograd Functions around them (model/kernels/*.h) own the tensors, threads and checks.
#pragma once

#include <cstdint>

namespace scalelab::kernels {

// The heads of one attention layer: the fused projection is (B, T, (H + 2 Hkv) hd), q is
// (B, H, T, hd), k and v (B, Hkv, T, hd), the attention's output (B, T, H hd).
struct HeadLayout {
  int64_t batch, seq, n_head, n_kv_head, head_dim;
  int64_t width() const { return (n_head + 2 * n_kv_head) * head_dim; }
};

template <class T>
struct CpuLoops {
  // y = x / rms(x) * w per row of `dim`; rstd[r] = 1 / sqrt(mean(x^2) + eps).
  void (*rms_norm_forward)(const T* x, const T* w, T* y, T* rstd, int64_t rows, int64_t dim,
                           double eps);
  // dx for each row, and dw += the rows' contribution (dw holds `dim` partial sums).
  void (*rms_norm_backward)(const T* dy, const T* x, const T* w, const T* rstd, T* dx, T* dw,
                            int64_t rows, int64_t dim);
  // out = silu(g) * u for rows laid out [g (hidden) | u (hidden)].
  void (*swiglu_forward)(const T* gate_up, T* out, int64_t rows, int64_t hidden);
  void (*swiglu_backward)(const T* dout, const T* gate_up, T* dgate_up, int64_t rows,
                          int64_t hidden);
  // Rows [begin, end) of B x T: q, k, v heads moved to (B, heads, T, hd), q and k rotated by
  // their position (cos, sin: (T, hd) tables; null: no rotation).
  void (*rope_split_forward)(const T* qkv, const T* cos, const T* sin, T* q, T* k, T* v,
                             const HeadLayout& layout, int64_t begin, int64_t end);
  // Its transpose: the gradients of q, k, v back into rows [begin, end) of dqkv.
  void (*rope_split_backward)(const T* dq, const T* dk, const T* dv, const T* cos, const T* sin,
                              T* dqkv, const HeadLayout& layout, int64_t begin, int64_t end);
  // Causal softmax attention with scale 1/sqrt(hd) for the (batch, kv head) groups
  // [begin, end) (b * Hkv + kv head): out (B, T, H hd) and each row's logsumexp (B, H, T).
  void (*attention_forward)(const T* q, const T* k, const T* v, T* out, T* lse,
                            const HeadLayout& layout, int64_t begin, int64_t end);
  // Its backward for the same groups: dq (B, H, T, hd), dk and dv (B, Hkv, T, hd).
  void (*attention_backward)(const T* q, const T* k, const T* v, const T* out, const T* dout,
                             const T* lse, T* dq, T* dk, T* dv, const HeadLayout& layout,
                             int64_t begin, int64_t end);
  // Rows of (heads x seq, seq) attention scores, in place: softmax(scale s) over the keys at or
  // before each row's query position ((first_row + r) % seq), zeros after them.
  void (*causal_softmax_forward)(T* scores, int64_t rows, int64_t first_row, int64_t seq,
                                 double scale);
  // In place: the gradient of the probabilities in, that of the unscaled scores out.
  void (*causal_softmax_backward)(const T* probs, T* grad, int64_t rows, int64_t first_row,
                                  int64_t seq, double scale);
  // Per row of logits: losses[r] = logsumexp - logit of the target; the row is overwritten with
  // its gradient (softmax - one_hot(target)) * grad_scale.
  void (*cross_entropy_forward)(T* logits, const int64_t* targets, T* losses, int64_t rows,
                                int64_t vocab, double grad_scale);
};

template <class T>
const CpuLoops<T>& cpu_loops();

// The instruction set cpu_loops() chose ("AVX512", "AVX2" or "DEFAULT").
const char* cpu_loops_isa();

}  // namespace scalelab::kernels
