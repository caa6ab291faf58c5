// Which CUDA devices this machine has, asked without LibTorch (the sweep runner is torch-free).
#pragma once

#include <vector>

namespace scalelab::sweep {

// Devices that `nvidia-smi -L` lists, else the /dev/nvidia<K> device files; 0 without a GPU.
int count_cuda_devices();

// Throws "--gpus 0,1: ..." when a listed id is not a device of this machine, so a sweep never
// reports "on GPU 0" while it trains on the CPU.
void require_gpus(const std::vector<int>& gpus);

}  // namespace scalelab::sweep
