#include "model/kernels/chunks.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace scalelab::kernels {

void for_each_chunk(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& f) {
  const int64_t n_chunks = (n + chunk - 1) / chunk;
  at::parallel_for(0, n_chunks, 1, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c) f(c * chunk, std::min(n, (c + 1) * chunk));
  });
}

}  // namespace scalelab::kernels
