// Causal softmax attention for tiny heads (head_dim 4 to 64), one (batch, kv head) group at a
// time with everything in L1/L2: keys and values are transposed into (hd, T) scratch so that every
// inner loop runs along the keys, a full vector at a time whatever hd is. Row i (query position i)
// sees keys 0..i; with s_j = scale q_i . k_j:
//   forward   p_j = exp(s_j - lse_i), lse_i = logsumexp_j s_j, o_i = sum_j p_j v_j
//   backward  (FlashAttention-2's, Dao 2023: p recomputed from the saved lse, nothing T x T kept)
//             D_i = dO_i . o_i,  dp_j = dO_i . v_j,  ds_j = p_j (dp_j - D_i)
//             dq_i = scale sum_j ds_j k_j,  dk_j += scale ds_j q_i,  dv_j += p_j dO_i
// Grouped-query heads: the query heads of one kv head run in the same task, which sums their
// dk and dv.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "model/kernels/cpu/loops.h"

namespace scalelab::kernels {
inline namespace CPU_CAPABILITY {
namespace {

template <class T>
using Vec = at::vec::Vectorized<T>;

// Key vectors are handled four at a time: four independent accumulators keep the FMA units busy.
constexpr int64_t kBlock = 4;

// A group's keys and values, transposed and zero-padded to whole vectors.
template <class T>
struct Transposed {
  int64_t padded;
  std::vector<T> k, v;  // (hd, padded)
  Transposed(const T* k_rows, const T* v_rows, int64_t seq, int64_t hd)
      : padded(keys(seq)), k(hd * padded, T(0)), v(hd * padded, T(0)) {
    for (int64_t j = 0; j < seq; ++j)
      for (int64_t d = 0; d < hd; ++d) {
        k[d * padded + j] = k_rows[j * hd + d];
        v[d * padded + j] = v_rows[j * hd + d];
      }
  }
  // n keys rounded up to whole vectors.
  static int64_t keys(int64_t n) {
    return (n + Vec<T>::size() - 1) / Vec<T>::size() * Vec<T>::size();
  }
};

// s[j] = scale x . rows_j (rows: a transposed (hd, padded) matrix) for the first n keys (n a
// multiple of the vector size): four vectors at a time, then one.
template <class T>
void along_keys(const T* x, const std::vector<T>& rows, int64_t padded, int64_t hd, int64_t n,
                T scale, T* s) {
  constexpr int64_t W = Vec<T>::size();
  int64_t c = 0;
  for (; c + kBlock * W <= n; c += kBlock * W) {
    Vec<T> a0(T(0)), a1(T(0)), a2(T(0)), a3(T(0));
    for (int64_t d = 0; d < hd; ++d) {
      const Vec<T> xd(x[d]);
      const T* r = rows.data() + d * padded + c;
      a0 = at::vec::fmadd(xd, Vec<T>::loadu(r), a0);
      a1 = at::vec::fmadd(xd, Vec<T>::loadu(r + W), a1);
      a2 = at::vec::fmadd(xd, Vec<T>::loadu(r + 2 * W), a2);
      a3 = at::vec::fmadd(xd, Vec<T>::loadu(r + 3 * W), a3);
    }
    (a0 * Vec<T>(scale)).store(s + c);
    (a1 * Vec<T>(scale)).store(s + c + W);
    (a2 * Vec<T>(scale)).store(s + c + 2 * W);
    (a3 * Vec<T>(scale)).store(s + c + 3 * W);
  }
  for (; c < n; c += W) {
    Vec<T> acc(T(0));
    for (int64_t d = 0; d < hd; ++d)
      acc = at::vec::fmadd(Vec<T>(x[d]), Vec<T>::loadu(rows.data() + d * padded + c), acc);
    (acc * Vec<T>(scale)).store(s + c);
  }
}

// out[d] = sum_j a[j] rows[d][j] for each d: hd dot products along the keys, four at a time.
template <class T>
void dots(const T* a, const std::vector<T>& rows, int64_t padded, int64_t hd, int64_t n, T* out) {
  constexpr int64_t W = Vec<T>::size();
  auto sum = [](Vec<T> x) {
    return at::vec::vec_reduce_all<T>([](Vec<T> u, Vec<T> w) { return u + w; }, x);
  };
  int64_t d = 0;
  for (; d + 4 <= hd; d += 4) {
    Vec<T> a0(T(0)), a1(T(0)), a2(T(0)), a3(T(0));
    const T* r = rows.data() + d * padded;
    for (int64_t j = 0; j < n; j += W) {
      const Vec<T> aj = Vec<T>::loadu(a + j);
      a0 = at::vec::fmadd(aj, Vec<T>::loadu(r + j), a0);
      a1 = at::vec::fmadd(aj, Vec<T>::loadu(r + padded + j), a1);
      a2 = at::vec::fmadd(aj, Vec<T>::loadu(r + 2 * padded + j), a2);
      a3 = at::vec::fmadd(aj, Vec<T>::loadu(r + 3 * padded + j), a3);
    }
    out[d] = sum(a0), out[d + 1] = sum(a1), out[d + 2] = sum(a2), out[d + 3] = sum(a3);
  }
  for (; d < hd; ++d) {
    Vec<T> acc(T(0));
    for (int64_t j = 0; j < n; j += W)
      acc = at::vec::fmadd(Vec<T>::loadu(a + j), Vec<T>::loadu(rows.data() + d * padded + j), acc);
    out[d] = sum(acc);
  }
}

}  // namespace

template <class T>
void attention_forward(const T* q, const T* k, const T* v, T* out, T* lse, const HeadLayout& a,
                       int64_t group_begin, int64_t group_end) {
  const int64_t hd = a.head_dim, seq = a.seq, per_kv = a.n_head / a.n_kv_head;
  const T scale = T(1) / std::sqrt(T(hd));
  std::vector<T> s;
  for (int64_t g = group_begin; g < group_end; ++g) {  // g = b * n_kv_head + kv head
    const int64_t b = g / a.n_kv_head, kvh = g % a.n_kv_head;
    const Transposed<T> kv(k + g * seq * hd, v + g * seq * hd, seq, hd);
    s.resize(kv.padded);
    for (int64_t h = kvh * per_kv; h < (kvh + 1) * per_kv; ++h) {
      const int64_t bh = b * a.n_head + h;
      for (int64_t i = 0; i < seq; ++i) {
        const int64_t n = Transposed<T>::keys(i + 1);
        along_keys(q + (bh * seq + i) * hd, kv.k, kv.padded, hd, n, scale, s.data());
        std::fill(s.data() + i + 1, s.data() + n, -std::numeric_limits<T>::infinity());
        const T max = at::vec::reduce_all<T>(
            [](Vec<T> x, Vec<T> y) { return at::vec::maximum(x, y); }, s.data(), n);
        at::vec::map<T>([max](Vec<T> x) { return (x - Vec<T>(max)).exp(); }, s.data(), s.data(), n);
        const T sum = at::vec::reduce_all<T>([](Vec<T> x, Vec<T> y) { return x + y; }, s.data(), n);
        T* o = out + ((b * seq + i) * a.n_head + h) * hd;  // (B, T, H hd)
        dots(s.data(), kv.v, kv.padded, hd, n, o);
        for (int64_t d = 0; d < hd; ++d) o[d] /= sum;
        lse[bh * seq + i] = max + std::log(sum);
      }
    }
  }
}

// Query rows whose dk and dv updates are applied together: one pass over the (hd, T) accumulators
// per kRows rows instead of per row.
constexpr int64_t kRows = 4;

template <class T>
void attention_backward(const T* q, const T* k, const T* v, const T* out, const T* dout,
                        const T* lse, T* dq, T* dk, T* dv, const HeadLayout& a, int64_t group_begin,
                        int64_t group_end) {
  constexpr int64_t W = Vec<T>::size();
  const int64_t hd = a.head_dim, seq = a.seq, per_kv = a.n_head / a.n_kv_head;
  const T scale = T(1) / std::sqrt(T(hd));
  std::vector<T> p, ds, dk_t, dv_t;  // p, ds: kRows rows of `padded`
  for (int64_t g = group_begin; g < group_end; ++g) {
    const int64_t b = g / a.n_kv_head, kvh = g % a.n_kv_head;
    const Transposed<T> kv(k + g * seq * hd, v + g * seq * hd, seq, hd);
    const int64_t padded = kv.padded;
    p.assign(kRows * padded, T(0)), ds.assign(kRows * padded, T(0));
    dk_t.assign(hd * padded, T(0)), dv_t.assign(hd * padded, T(0));
    for (int64_t h = kvh * per_kv; h < (kvh + 1) * per_kv; ++h) {
      const int64_t bh = b * a.n_head + h;
      for (int64_t i0 = 0; i0 < seq; i0 += kRows) {
        const int64_t rows = std::min(kRows, seq - i0), n = Transposed<T>::keys(i0 + rows);
        const T *qr[kRows], *dor[kRows];
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t i = i0 + r, ni = Transposed<T>::keys(i + 1);
          T *pr = p.data() + r * padded, *dsr = ds.data() + r * padded;
          qr[r] = q + (bh * seq + i) * hd;
          dor[r] = dout + ((b * seq + i) * a.n_head + h) * hd;
          const T* oi = out + ((b * seq + i) * a.n_head + h) * hd;
          T delta = 0;
          for (int64_t d = 0; d < hd; ++d) delta += dor[r][d] * oi[d];
          along_keys(qr[r], kv.k, padded, hd, ni, scale, pr);
          std::fill(pr + i + 1, pr + ni, -std::numeric_limits<T>::infinity());
          const T row_lse = lse[bh * seq + i];
          at::vec::map<T>([row_lse](Vec<T> x) { return (x - Vec<T>(row_lse)).exp(); }, pr, pr, ni);
          // ds = scale p (dp - D) with dp_j = dO_i . v_j, along the keys
          along_keys(dor[r], kv.v, padded, hd, ni, T(1), dsr);
          at::vec::map2<T>(
              [delta, scale](Vec<T> pv, Vec<T> dp) {
                return pv * (dp - Vec<T>(delta)) * Vec<T>(scale);
              },
              dsr, pr, dsr, ni);
          std::fill(pr + ni, pr + n, T(0)), std::fill(dsr + ni, dsr + n, T(0));
          dots(dsr, kv.k, padded, hd, ni, dq + (bh * seq + i) * hd);
        }
        // dk_j += sum_r ds_rj q_r and dv_j += sum_r p_rj dO_r over the block's rows
        for (int64_t d = 0; d < hd; ++d)
          for (int64_t c = 0; c < n; c += W) {
            Vec<T> dkv = Vec<T>::loadu(dk_t.data() + d * padded + c),
                   dvv = Vec<T>::loadu(dv_t.data() + d * padded + c);
            for (int64_t r = 0; r < rows; ++r) {
              dkv =
                  at::vec::fmadd(Vec<T>::loadu(ds.data() + r * padded + c), Vec<T>(qr[r][d]), dkv);
              dvv =
                  at::vec::fmadd(Vec<T>::loadu(p.data() + r * padded + c), Vec<T>(dor[r][d]), dvv);
            }
            dkv.store(dk_t.data() + d * padded + c);
            dvv.store(dv_t.data() + d * padded + c);
          }
      }
    }
    for (int64_t j = 0; j < seq; ++j)
      for (int64_t d = 0; d < hd; ++d) {
        dk[(g * seq + j) * hd + d] = dk_t[d * padded + j];
        dv[(g * seq + j) * hd + d] = dv_t[d * padded + j];
      }
  }
}

template void attention_forward<float>(const float*, const float*, const float*, float*, float*,
                                       const HeadLayout&, int64_t, int64_t);
template void attention_forward<double>(const double*, const double*, const double*, double*,
                                        double*, const HeadLayout&, int64_t, int64_t);
template void attention_backward<float>(const float*, const float*, const float*, const float*,
                                        const float*, const float*, float*, float*, float*,
                                        const HeadLayout&, int64_t, int64_t);
template void attention_backward<double>(const double*, const double*, const double*, const double*,
                                         const double*, const double*, double*, double*, double*,
                                         const HeadLayout&, int64_t, int64_t);

}  // namespace CPU_CAPABILITY
}  // namespace scalelab::kernels
