// Where and in which precision a run computes: CUDA with bf16 autocast (fp32 master weights), or
// CPU in fp32; and the peak FLOP/s its MFU is measured against.
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>

#include "configs/config.h"

namespace scalelab {

struct DeviceChoice {
  torch::Device device{torch::kCPU};
  bool bf16 = false;                       // autocast matmuls to bf16
  std::string device_name;                 // "cpu" or the CUDA device's name
  std::string precision;                   // "bf16" or "fp32" (the peak-table column)
  std::optional<double> table_peak_flops;  // from core/hardware.h; none for CPUs
};

// Resolves train.device and train.precision; errors name the key (e.g. cuda asked, none present).
DeviceChoice choose_device(const TrainConfig& train);

// bf16 autocast for the forward pass on CUDA, as torch.autocast does in Python.
class AutocastGuard {
 public:
  explicit AutocastGuard(bool enabled);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool enabled_;
  bool previous_ = false;
};

// Achieved FLOP/s of a square matmul on the device in the run's precision: the measured peak.
double measure_matmul_peak(const DeviceChoice& device, double seconds = 1.0);

// Blocks until the device has finished queued work (for honest timings).
void synchronize(const torch::Device& device);

}  // namespace scalelab
