// hparams.json, the file `scalelab tune` writes: the tuned peak learning rate as a power law of
// model size, lr_opt(N) = c N^-k (and the batch B_opt(N) = c N^k in tokens when batch sizes were
// tuned), with 95% bootstrap intervals, the N convention they use and the sizes they were measured
// on. Read by a sweep's `derive: {lr_from: ...}` and by `scalelab plan --hparams`. Torch-free.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace scalelab {

// y = c N^(sign k): sign -1 for the learning rate, +1 for the batch.
struct SizeLaw {
  double c = 0, k = 0;
  double c_lo = NAN, c_hi = NAN, k_lo = NAN, k_hi = NAN;  // NaN: no interval
  int sign = -1;
  double operator()(double N) const { return c * std::pow(N, sign * k); }
};

// One tuned size: its measured optimum (the parabola's minimum in log lr).
struct TunedSize {
  double N = 0;
  double lr_opt = 0, loss_opt = 0;
  double batch_tokens = 0;  // the batch (tokens) the lr optimum was taken at
  double beta2 = 0;         // the beta2 the lr optimum was taken at
  std::string runs;         // e.g. the run folder names' common prefix, for messages
};

struct Hparams {
  std::string path;                      // the file read (for messages)
  std::string params_counted = "total";  // total | non_embedding: the N the laws take
  SizeLaw lr;                            // lr_opt(N) = c N^-k
  std::optional<SizeLaw> batch_tokens;   // B_opt(N) = c N^k, when batch sizes were tuned
  double warmup_tokens_per_param = 0;    // the warmup the lr was tuned under; 0 = the base's
  std::vector<TunedSize> sizes;          // ascending N
  double n_min() const { return sizes.empty() ? 0 : sizes.front().N; }
  double n_max() const { return sizes.empty() ? 0 : sizes.back().N; }
};

// Throws one line naming the file and what is wrong with it (missing, not JSON, a key missing or
// not a positive number, an unknown params_counted).
Hparams read_hparams(const std::string& path);
// `extra` (the procedure, each size's grid) is stored beside the laws, for people and figures.
void write_hparams(const std::string& path, const Hparams& h, const nlohmann::json& extra = {});

}  // namespace scalelab
