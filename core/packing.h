// Packed runs (trainer/packed_model.h): runs of one shape trained as one batched model. Which runs
// may share a pack, and how many fit in memory, torch-free so that a sweep's dry run can show the
// packing without LibTorch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "configs/config.h"

namespace scalelab {

// The first setting that keeps two runs out of one pack, "model.n_embd: 32 vs 64", or nullopt when
// they may share one. A pack shares its shape: the whole model section (architecture,
// parameterization, block size) and the batch layout, device and precision. Everything else is
// each run's own: seeds, data order, learning rate, schedule, budget, clipping, AdamW's settings,
// evaluation and checkpoint cadence, the dataset folder.
std::optional<std::string> pack_difference(const Config& a, const Config& b);

// An estimate of one run's training memory in bytes: weights, gradients and AdamW state (16 bytes a
// parameter) plus the activations kept for the backward pass of one micro-batch in fp32.
double packed_run_bytes(const Config& config);

// The most runs of this config that one pack may hold: at most `max_pack`, and no more than half
// of `available_bytes` (0: unknown, no memory bound) divided by packed_run_bytes, at least 1.
int64_t max_pack_size(const Config& config, double available_bytes, int64_t max_pack);

// MemAvailable of /proc/meminfo in bytes; 0 when unknown.
double available_host_memory();

}  // namespace scalelab
