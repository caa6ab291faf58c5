// Work split for the fused CPU kernels, kept free of LibTorch's headers: chunks.cpp is compiled
// with OpenMP (as LibTorch's own intra-op loops are) and without the shared precompiled header.
#pragma once

#include <cstdint>
#include <functional>

namespace scalelab::kernels {

// Calls f(begin, end) over [0, n) in chunks of `chunk` (the last may be shorter), on LibTorch's
// intra-op threads (at::parallel_for). The chunks do not depend on the thread count, so neither
// do reductions that combine per-chunk results in chunk order.
void for_each_chunk(int64_t n, int64_t chunk, const std::function<void(int64_t, int64_t)>& f);

}  // namespace scalelab::kernels
