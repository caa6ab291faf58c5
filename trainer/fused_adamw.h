// AdamW (Loshchilov and Hutter 2019) through LibTorch's fused multi-tensor kernel
// (at::_fused_adamw_, CPU and CUDA). Two groups: matrices are decayed, vectors (norms, biases) not.
#pragma once

#include <torch/torch.h>

#include "configs/config.h"

namespace scalelab {

class FusedAdamW {
 public:
  // Parameters of dim >= 2 are decayed, the rest are not.
  FusedAdamW(const std::vector<torch::Tensor>& params, const OptimConfig& config);
  // One update with learning rate lr from each parameter's .grad().
  void step(double lr);
  void zero_grad();
  const std::vector<torch::Tensor>& params() const { return params_; }

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  struct Group {
    std::vector<torch::Tensor> params, exp_avgs, exp_avg_sqs, steps;
    double weight_decay;
  };
  std::vector<torch::Tensor> params_;
  std::vector<Group> groups_;
  OptimConfig config_;
};

}  // namespace scalelab
