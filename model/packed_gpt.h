// K models of one shape computed as one (packed runs, core/packing.h): every parameter of the K
// models stacked along a new leading dimension, and one forward and backward pass over the stacks
// where each operation runs K times larger at about the cost of one call. The models stay ordinary
// GPTs: their parameters become views of the stacks, so each replica's optimizer, checkpoints,
// evaluation and export see its own weights, updated in place, and nothing else changes for them.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "model/gpt.h"

namespace scalelab {

class PackedGPT {
 public:
  // models: K >= 1 GPTs built from one ModelConfig, on one device. Their current weights are
  // copied into the stacks and each parameter then points into its stack.
  explicit PackedGPT(std::vector<GPT> models);
  // inputs, targets: (K, B, T) int64, replica k's rows at k -> (K) each replica's mean next-token
  // cross-entropy in fp32. The gradient of their sum reaches each replica's weights alone.
  torch::Tensor losses(const torch::Tensor& inputs, const torch::Tensor& targets);
  // After the backward pass(es): each replica's parameters get their slice of the stacked
  // gradients as .grad, and the stacks' gradients are released for the next step.
  void hand_out_gradients();
  int64_t size() const { return int64_t(models_.size()); }

 private:
  // (K, ...) stack of the parameter `name` ("layers.0.mlp.up_proj.weight").
  const torch::Tensor& stack(const std::string& name) const;
  // x: (K, M, in) -> x W^T for each replica's weights, several side by side along the output.
  torch::Tensor linear(const torch::Tensor& x, const std::vector<std::string>& names) const;
  torch::Tensor norm(const torch::Tensor& x, const std::string& prefix) const;
  torch::Tensor block(const torch::Tensor& x, int64_t layer, int64_t B, int64_t T) const;

  std::vector<GPT> models_;
  ModelConfig config_;
  std::vector<std::string> names_;
  std::vector<std::vector<torch::Tensor>> params_;  // params_[k][i]: replica k's names_[i]
  std::vector<torch::Tensor> stacks_;               // names_[i]'s stack
  std::unordered_map<std::string, size_t> index_;   // name -> i
  torch::Tensor unit_weight_;                       // RMSNorm's weight of ones (C)
  torch::Tensor rope_cos_, rope_sin_, alibi_;
  double query_scale_, branch_scale_, logit_scale_;
};

}  // namespace scalelab
