// Counting what a fit can learn from: distinct (N, D) pairs or distinct x values, not rows. The
// same run listed twice, a CSV pasted twice or seeds of one configuration add weight, not
// information, and a law with more free constants than distinct points "fits" exactly with
// zero-width intervals.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "analysis/inputs/points.h"

namespace scalelab {

// Values equal to a relative 1e-9 share a key, so a D = C / (6 N) rounded differently for two
// rows of one configuration still counts once. Non-positive values (which no law takes) share one.
inline int64_t distinct_key(double v) {
  return v > 0 && std::isfinite(v) ? std::llround(std::log(v) * 1e9)
                                   : std::numeric_limits<int64_t>::min();
}

inline size_t count_distinct(const std::vector<double>& x) {
  std::set<int64_t> keys;
  for (double v : x) keys.insert(distinct_key(v));
  return keys.size();
}

inline size_t count_distinct_pairs(const std::vector<std::pair<double, double>>& xy) {
  std::set<std::pair<int64_t, int64_t>> keys;
  for (const auto& [x, y] : xy) keys.insert({distinct_key(x), distinct_key(y)});
  return keys.size();
}

inline size_t count_distinct_nd(const std::vector<Point>& pts) {
  std::vector<std::pair<double, double>> nd;
  for (const auto& p : pts) nd.push_back({p.N, p.D});
  return count_distinct_pairs(nd);
}

// Throws "<law>: needs at least <need> distinct <what>, got <have> (from <rows> rows)" when there
// are too few; the row count is shown only when it differs.
inline void require_distinct(size_t have, size_t rows, size_t need, const std::string& law,
                             const std::string& what) {
  if (have >= need) return;
  throw std::runtime_error(law + ": needs at least " + std::to_string(need) + " distinct " + what +
                           ", got " + std::to_string(have) +
                           (rows != have ? " (from " + std::to_string(rows) + " rows)" : ""));
}

}  // namespace scalelab
