// AdamW (Loshchilov and Hutter 2019) through LibTorch's fused multi-tensor kernel
// (at::_fused_adamw_, CPU and CUDA), over parameter groups with their own lr scale, eps and weight
// decay (model/parameterization.h: two under standard, matrices decayed and vectors not).
// Gradient clipping rides along: the global norm is one multi-tensor norm, and the clipping factor
// reaches the kernel as its gradient scale, so no pass over the gradients scales them first.
#pragma once

#include <torch/torch.h>

#include "configs/config.h"
#include "model/parameterization.h"

namespace scalelab {

class FusedAdamW {
 public:
  // Parameters of dim >= 2 are decayed, the rest are not.
  FusedAdamW(const std::vector<torch::Tensor>& params, const OptimConfig& config);
  // The groups of model.parameterization (param_groups) over params (all of them, in the order
  // the gradient norm sums them); betas from config.
  FusedAdamW(const std::vector<torch::Tensor>& params, const std::vector<ParamGroup>& groups,
             const OptimConfig& config);
  // The model's parameters grouped by its parameterization.
  static FusedAdamW for_model(const torch::nn::Module& model, const ModelConfig& model_config,
                              const OptimConfig& config);
  // One update with learning rate lr from each parameter's .grad().
  void step(double lr);
  // The same update from the gradients clipped to a global L2 norm of at most max_norm (<= 0 or
  // infinite: not clipped), as torch.nn.utils.clip_grad_norm_ clips them: scaled by
  // max_norm / (norm + 1e-6) when that is below 1. Returns the norm before clipping.
  double clip_and_step(double lr, double max_norm);
  void zero_grad();
  const std::vector<torch::Tensor>& params() const { return params_; }

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  struct Group {
    std::vector<torch::Tensor> params, exp_avgs, exp_avg_sqs, steps;
    double weight_decay, lr_scale, eps;
  };
  void update(double lr, const std::optional<torch::Tensor>& grad_scale);
  std::vector<torch::Tensor> params_;
  std::vector<Group> groups_;
  OptimConfig config_;
};

}  // namespace scalelab
