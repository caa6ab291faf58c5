// Shared formatting for human-readable command output.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace scalelab::cli {

// 1.23e+09 style for large counts, plain below 1e5.
inline std::string sci(double v) {
  char buf[32];
  if (std::abs(v) >= 1e5 || (v != 0 && std::abs(v) < 1e-3))
    std::snprintf(buf, sizeof buf, "%.3e", v);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// 1.7B, 350M, 12.3K for parameter and token counts.
inline std::string human(double v) {
  const char* units[] = {"", "K", "M", "B", "T", "P"};
  int u = 0;
  while (std::abs(v) >= 1000 && u < 5) v /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.3g%s" : "%.0f%s", v, units[u]);
  return buf;
}

}  // namespace scalelab::cli
