#include "common/text.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace scalelab {

std::string sci(double v) {
  char buf[32];
  if (std::abs(v) >= 1e5 || (v != 0 && std::abs(v) < 1e-3))
    std::snprintf(buf, sizeof buf, "%.3e", v);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string human(double v) {
  const char* units[] = {"", "K", "M", "B", "T", "P"};
  int u = 0;
  while (std::abs(v) >= 1000 && u < 5) v /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.3g%s" : "%.0f%s", v, units[u]);
  return buf;
}

std::string duration_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  char buf[48];
  if (s >= 1e12) {  // beyond what llround holds in hours and minutes
    std::snprintf(buf, sizeof buf, "%.3gh", s / 3600);
    return buf;
  }
  const long long whole = std::llround(s);  // rounded first: 119.7 s is 2m00s, never 1m60s
  if (whole < 60)
    std::snprintf(buf, sizeof buf, "%llds", whole);
  else if (whole < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", whole / 60, whole % 60);
  else
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", whole / 3600, whole / 60 % 60);
  return buf;
}

std::string utc_now(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

}  // namespace scalelab
