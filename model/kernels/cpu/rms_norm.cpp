// RMSNorm (Zhang and Sennrich 2019) over rows: y = x r w with r = (mean(x^2) + eps)^(-1/2).
// Backward, with g = dy w: dx = r g - x r^3 mean(g x), dw = sum over rows of dy x r.
#include <cmath>

#include "model/kernels/cpu/loops.h"

namespace scalelab::kernels {
inline namespace CPU_CAPABILITY {
namespace {

// The sum of a row's first n lanes as at::vec::map_reduce_all (and map3_) sums a row narrower than
// a vector, bit for bit: lane 0 first, in order. ATen does it by storing and reloading a whole
// vector per element (issue 29's profile: RMSNorm 10x slower at width 12 than at 16 with AVX-512);
// here the lanes are added as scalars.
template <class T>
T sum_of_lanes(const at::vec::Vectorized<T>& v, int64_t n) {
  alignas(64) T lanes[at::vec::Vectorized<T>::size()];
  v.store(lanes);
  T sum = lanes[0];
  for (int64_t i = 1; i < n; ++i) sum += lanes[i];
  return sum;
}

}  // namespace

template <class T>
void rms_norm_forward(const T* x, const T* w, T* y, T* rstd, int64_t rows, int64_t dim,
                      double eps) {
  using Vec = at::vec::Vectorized<T>;
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * dim;
    const auto square = [](Vec v) { return v * v; };
    const T sum_sq = dim < Vec::size() ? sum_of_lanes(square(Vec::loadu(xr, dim)), dim)
                                       : at::vec::map_reduce_all<T>(
                                             square, [](Vec a, Vec b) { return a + b; }, xr, dim);
    const T inv = T(1) / std::sqrt(sum_sq / T(dim) + T(eps));
    rstd[r] = inv;
    at::vec::map2<T>([inv](Vec xv, Vec wv) { return xv * Vec(inv) * wv; }, y + r * dim, xr, w, dim);
  }
}

template <class T>
void rms_norm_backward(const T* dy, const T* x, const T* w, const T* rstd, T* dx, T* dw,
                       int64_t rows, int64_t dim) {
  using Vec = at::vec::Vectorized<T>;
  for (int64_t r = 0; r < rows; ++r) {
    const T *dyr = dy + r * dim, *xr = x + r * dim;
    T* dxr = dx + r * dim;
    const T inv = rstd[r];
    // mean(g x) with g = dy w
    const auto product = [](Vec a, Vec b, Vec c) { return a * b * c; };
    const T gx =
        dim < Vec::size()
            ? sum_of_lanes(product(Vec::loadu(dyr, dim), Vec::loadu(w, dim), Vec::loadu(xr, dim)),
                           dim)
            : at::vec::map3_reduce_all<T>(
                  product, [](Vec a, Vec b) { return a + b; }, dyr, w, xr, dim);
    const T c = gx / T(dim) * inv * inv * inv;
    int64_t d = 0;
    for (; d + Vec::size() <= dim; d += Vec::size()) {
      const Vec dyv = Vec::loadu(dyr + d), xv = Vec::loadu(xr + d);
      (Vec(inv) * dyv * Vec::loadu(w + d) - Vec(c) * xv).store(dxr + d);
      (Vec::loadu(dw + d) + dyv * xv * Vec(inv)).store(dw + d);
    }
    for (; d < dim; ++d) {
      dxr[d] = inv * dyr[d] * w[d] - c * xr[d];
      dw[d] += dyr[d] * xr[d] * inv;
    }
  }
}

template void rms_norm_forward<float>(const float*, const float*, float*, float*, int64_t, int64_t,
                                      double);
template void rms_norm_forward<double>(const double*, const double*, double*, double*, int64_t,
                                       int64_t, double);
template void rms_norm_backward<float>(const float*, const float*, const float*, const float*,
                                       float*, float*, int64_t, int64_t);
template void rms_norm_backward<double>(const double*, const double*, const double*, const double*,
                                        double*, double*, int64_t, int64_t);

}  // namespace CPU_CAPABILITY
}  // namespace scalelab::kernels
