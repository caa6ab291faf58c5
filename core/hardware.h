// Peak dense FLOP/s of accelerators by precision: the one table that gpu-time and the MFU meter
// share. Vendor datasheet figures (SXM parts unless named); sparse rates are 2x dense for the
// tensor-core precisions (2:4 structured sparsity).
#pragma once

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

namespace scalelab {

struct GpuPeak {
  const char* key;               // --gpu value
  const char* match;             // substring of the CUDA device name (upper case)
  double fp32, tf32, bf16, fp8;  // dense TFLOP/s; 0 = not supported
};

inline constexpr GpuPeak kGpuPeaks[] = {
    {"v100", "V100", 15.7, 0, 125, 0},  // bf16 column: fp16 tensor cores (no bf16 on Volta)
    {"a100", "A100", 19.5, 156, 312, 0},
    {"l40s", "L40S", 91.6, 183, 362, 733},
    {"h100-pcie", "H100 PCIE", 51, 378, 756, 1513},
    {"h100", "H100", 67, 494.7, 989, 1979},
    {"h200", "H200", 67, 494.7, 989, 1979},
    {"b200", "B200", 80, 1100, 2250, 4500},
};

inline std::optional<GpuPeak> find_gpu(const std::string& key) {
  for (const auto& g : kGpuPeaks)
    if (key == g.key) return g;
  return std::nullopt;
}

// First entry whose match string occurs in the device name ("NVIDIA H100 80GB HBM3" -> h100).
inline std::optional<GpuPeak> gpu_for_device_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return std::toupper(ch); });
  for (const auto& g : kGpuPeaks)
    if (name.find(g.match) != std::string::npos) return g;
  return std::nullopt;
}

// Peak FLOP/s for a precision name: fp32 | tf32 | bf16 | fp16 | fp8; 0 when unsupported.
inline double peak_flops(const GpuPeak& g, const std::string& precision, bool sparse = false) {
  double tflops = precision == "fp32"                            ? g.fp32
                  : precision == "tf32"                          ? g.tf32
                  : (precision == "bf16" || precision == "fp16") ? g.bf16
                  : precision == "fp8"                           ? g.fp8
                                                                 : 0;
  if (sparse && precision != "fp32") tflops *= 2;
  return tflops * 1e12;
}

}  // namespace scalelab
