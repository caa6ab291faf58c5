// The learning-rate schedules of Luo et al.'s published 25M/100M runs (tests/data/multipower/,
// described in tests/data/README.md), per step: what the conformance tests pair with the
// published loss curves. Only tests use them, so they live here rather than in analysis/.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace scalelab {

// Linear warmup from 0 over 2,160 steps to 3e-4, for every schedule.
constexpr int64_t kLuoWarmup = 2160;

// Their total steps: 24000, 72000 or 16000. Throws for a name that is not one of the nine:
// cosine_24000, cosine_72000, constant_24000, constant_72000, wsd_20000_24000,
// wsdld_20000_24000, wsdcon_3, wsdcon_9, wsdcon_18.
inline int64_t luo_schedule_steps(const std::string& name) {
  static const std::map<std::string, int64_t> total = {
      {"cosine_24000", 24000},   {"cosine_72000", 72000},    {"constant_24000", 24000},
      {"constant_72000", 72000}, {"wsd_20000_24000", 24000}, {"wsdld_20000_24000", 24000},
      {"wsdcon_3", 16000},       {"wsdcon_9", 16000},        {"wsdcon_18", 16000}};
  auto it = total.find(name);
  if (it == total.end()) throw std::runtime_error("no published schedule named " + name);
  return it->second;
}

// lr of step s of the schedule `name` (file name without .csv).
inline double luo_schedule_lr(const std::string& name, int64_t s) {
  const double peak = 3e-4, low = 3e-5;
  const int64_t W = kLuoWarmup;
  auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
  const int64_t T = luo_schedule_steps(name);
  if (s <= W) return peak * double(std::max<int64_t>(s, 0)) / double(W);
  if (starts("cosine_"))
    return low + 0.5 * (peak - low) * (1 + std::cos(M_PI * double(s - W) / double(T - W)));
  if (starts("constant_")) return peak;
  if (starts("wsd_")) {
    if (s <= 20000) return peak;
    return std::pow(peak, double(24000 - s) / 4000) * std::pow(low, double(s - 20000) / 4000);
  }
  if (starts("wsdld_")) {
    if (s <= 20000) return peak;
    return peak - (peak - low) * double(s - 20000) / 4000;
  }
  // wsdcon_K: 3e-4 to step 8,000, then K e-5.
  const int k = std::stoi(name.substr(7));
  return s < 8000 ? peak : k * 1e-5;
}

// lr of steps 1..total.
inline std::vector<double> luo_schedule(const std::string& name) {
  const int64_t T = luo_schedule_steps(name);
  std::vector<double> lr(T);
  for (int64_t s = 1; s <= T; ++s) lr[s - 1] = luo_schedule_lr(name, s);
  return lr;
}

}  // namespace scalelab
