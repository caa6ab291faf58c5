// Rotary position embedding (Su et al. 2021) in Hugging Face Llama's half-split convention, fused
// with moving the heads out of the (B, T, (H + 2 Hkv) hd) projection into (B, heads, T, hd):
// with x = [x1 | x2] and c, s the cos and sin of position t,
//   out = [x1 c - x2 s | x2 c + x1 s]                     (= x cos + rotate_half(x) sin)
// and its transpose for the gradient: dx = [dy1 c + dy2 s | dy2 c - dy1 s], the rotation by minus
// the angle (the tables repeat their first half, cat(freqs, freqs), so c and s are the same for
// both halves). v is only moved.
#include <cstring>

#include "model/kernels/cpu/loops.h"

namespace scalelab::kernels {
inline namespace CPU_CAPABILITY {
namespace {

// The address of head h (0 .. H + 2 Hkv) of row (b, t) in the (B, heads, T, hd) outputs.
template <class P>
P* head_slot(P* q, P* k, P* v, const HeadLayout& l, int64_t b, int64_t t, int64_t h) {
  if (h < l.n_head) return q + ((b * l.n_head + h) * l.seq + t) * l.head_dim;
  h -= l.n_head;
  P* base = h < l.n_kv_head ? k : v;
  return base + ((b * l.n_kv_head + h % l.n_kv_head) * l.seq + t) * l.head_dim;
}

// out = [x1 c1 - x2 s1 | x2 c2 + x1 s2] for x = [x1 | x2], c = [c1 | c2], s = [s1 | s2] (the
// forward with s, the backward with -s), a vector at a time along each half.
template <class T>
void rotate(const T* x, const T* c, const T* s, T sign, T* out, int64_t half) {
  using Vec = at::vec::Vectorized<T>;
  int64_t d = 0;
  auto step = [&](int64_t n) {
    const Vec x1 = Vec::loadu(x + d, n), x2 = Vec::loadu(x + half + d, n);
    const Vec s1 = Vec::loadu(s + d, n) * Vec(sign), s2 = Vec::loadu(s + half + d, n) * Vec(sign);
    (x1 * Vec::loadu(c + d, n) - x2 * s1).store(out + d, n);
    (x2 * Vec::loadu(c + half + d, n) + x1 * s2).store(out + half + d, n);
  };
  for (; d + Vec::size() <= half; d += Vec::size()) step(Vec::size());
  if (d < half) step(half - d);
}

}  // namespace

template <class T>
void rope_split_forward(const T* qkv, const T* cos, const T* sin, T* q, T* k, T* v,
                        const HeadLayout& l, int64_t begin, int64_t end) {
  const int64_t hd = l.head_dim, half = hd / 2, rotated = l.n_head + l.n_kv_head;
  for (int64_t row = begin; row < end; ++row) {
    const int64_t b = row / l.seq, t = row % l.seq;
    const T *c = cos ? cos + t * hd : nullptr, *s = sin ? sin + t * hd : nullptr;
    for (int64_t h = 0; h < l.n_head + 2 * l.n_kv_head; ++h) {
      const T* x = qkv + row * l.width() + h * hd;
      T* out = head_slot(q, k, v, l, b, t, h);
      if (!c || h >= rotated) {
        std::memcpy(out, x, sizeof(T) * hd);
        continue;
      }
      rotate(x, c, s, T(1), out, half);
    }
  }
}

template <class T>
void rope_split_backward(const T* dq, const T* dk, const T* dv, const T* cos, const T* sin, T* dqkv,
                         const HeadLayout& l, int64_t begin, int64_t end) {
  const int64_t hd = l.head_dim, half = hd / 2, rotated = l.n_head + l.n_kv_head;
  for (int64_t row = begin; row < end; ++row) {
    const int64_t b = row / l.seq, t = row % l.seq;
    const T *c = cos ? cos + t * hd : nullptr, *s = sin ? sin + t * hd : nullptr;
    for (int64_t h = 0; h < l.n_head + 2 * l.n_kv_head; ++h) {
      const T* dy = head_slot(dq, dk, dv, l, b, t, h);
      T* dx = dqkv + row * l.width() + h * hd;
      if (!c || h >= rotated) {
        std::memcpy(dx, dy, sizeof(T) * hd);
        continue;
      }
      rotate(dy, c, s, T(-1), dx, half);
    }
  }
}

template void rope_split_forward<float>(const float*, const float*, const float*, float*, float*,
                                        float*, const HeadLayout&, int64_t, int64_t);
template void rope_split_forward<double>(const double*, const double*, const double*, double*,
                                         double*, double*, const HeadLayout&, int64_t, int64_t);
template void rope_split_backward<float>(const float*, const float*, const float*, const float*,
                                         const float*, float*, const HeadLayout&, int64_t, int64_t);
template void rope_split_backward<double>(const double*, const double*, const double*,
                                          const double*, const double*, double*, const HeadLayout&,
                                          int64_t, int64_t);

}  // namespace CPU_CAPABILITY
}  // namespace scalelab::kernels
