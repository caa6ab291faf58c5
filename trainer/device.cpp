#include "trainer/device.h"

#include <ATen/autocast_mode.h>

#include <chrono>

#include "core/hardware.h"

#ifdef SCALELAB_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace scalelab {

DeviceChoice choose_device(const TrainConfig& t) {
  DeviceChoice d;
  const bool cuda_available = torch::cuda::is_available();
  bool want_cuda = t.device == "auto" ? cuda_available : t.device.rfind("cuda", 0) == 0;
  if (want_cuda && !cuda_available)
    throw std::runtime_error("train.device: '" + t.device +
                             "' asked for CUDA, but no CUDA device is available");
  if (want_cuda) {
    d.device = t.device == "auto" ? torch::Device(torch::kCUDA, 0) : torch::Device(t.device);
    if (d.device.index() < 0) d.device = torch::Device(torch::kCUDA, 0);
    if (d.device.index() >= static_cast<int>(torch::cuda::device_count()))
      throw std::runtime_error("train.device: '" + t.device + "' does not exist (" +
                               std::to_string(torch::cuda::device_count()) + " CUDA devices)");
#ifdef SCALELAB_CUDA
    d.device_name = at::cuda::getDeviceProperties(d.device.index())->name;
#else
    d.device_name = "cuda";
#endif
  } else {
    d.device_name = "cpu";
  }
  d.bf16 =
      t.precision == Precision::bf16 || (t.precision == Precision::auto_ && d.device.is_cuda());
  if (d.bf16 && !d.device.is_cuda())
    throw std::runtime_error("train.precision: bf16 autocast is for CUDA; use fp32 on CPU");
  // fp32 matmuls on CUDA run as TF32 (set by the trainer), so that is the peak they are held to.
  d.precision = d.bf16 ? "bf16" : (d.device.is_cuda() ? "tf32" : "fp32");
  if (auto gpu = gpu_for_device_name(d.device_name))
    d.table_peak_flops = peak_flops(*gpu, d.precision);
  return d;
}

AutocastGuard::AutocastGuard(bool enabled) : enabled_(enabled) {
  if (!enabled_) return;
  previous_ = at::autocast::is_autocast_enabled(at::kCUDA);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!enabled_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(at::kCUDA, previous_);
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

double measure_matmul_peak(const DeviceChoice& d, double seconds) {
  torch::NoGradGuard no_grad;
  const int64_t n = d.device.is_cuda() ? 8192 : 1024;
  auto dtype = d.bf16 ? torch::kBFloat16 : torch::kFloat32;
  auto a = torch::randn({n, n}, torch::TensorOptions().device(d.device).dtype(dtype));
  auto b = torch::randn({n, n}, torch::TensorOptions().device(d.device).dtype(dtype));
  auto c = torch::mm(a, b);  // warm-up (kernel selection, thread pool start)
  synchronize(d.device);
  using clock = std::chrono::steady_clock;
  int64_t iters = 0;
  auto start = clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 4; ++i) c = torch::mm(a, b);
    synchronize(d.device);
    iters += 4;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  }
  return 2.0 * n * n * n * iters / elapsed;
}

}  // namespace scalelab
