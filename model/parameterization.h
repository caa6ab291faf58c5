// How the model's initialisation, forward multipliers and per-parameter AdamW settings scale with
// width and depth (model.parameterization):
//   standard  : GPT-2 (N(0, init_std = 0.02), residual projections init_std / sqrt(2 n_layer)),
//               one lr and eps.
//   mup       : muP for width, Yang et al. 2022 (Tensor Programs V), as in microsoft/mup and
//               EleutherAI/nanoGPT-mup, with m = n_embd / base_width:
//               hidden (block) matrices init std init_std / sqrt(m) (variance ~ 1 / fan_in;
//               init_std 0.02 unless model.init_std says, the base width's, to tune there), Adam lr
//               / m and weight decay * m (mup/optim.py MuAdam: lr * decay stays put); the final
//               hidden state times 1 / m before the LM head (MuReadout's output multiplier);
//               attention scores q.k / head_dim instead of / sqrt(head_dim); AdamW eps / m for
//               every parameter (nanoGPT-mup configure_optimizers).
//   completep : mup plus depth, Dey et al. 2025 ("Don't be lazy: CompleteP"), with
//               L = n_layer / base_depth and alpha = 1: each residual branch times L^-alpha, hidden
//               matrices' lr * L^(alpha - 1) (= 1), hidden norms' lr * L^(alpha - 1) (= 1), the
//               block parameters' AdamW eps * L^-alpha on top of mup's / m (nanoGPT-mup, branch
//               completep, after its fix of eq. 40's separate hidden and embedding eps).
// Under standard every multiplier is exactly 1 and the model computes as it did before these
// options existed, bit for bit.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "configs/config.h"

namespace scalelab {

// The forward pass's multipliers; export folds them into ordinary Llama weights.
struct ForwardMultipliers {
  double width_mult = 1.0;    // n_embd / base_width (1 under standard)
  double depth_mult = 1.0;    // n_layer / base_depth (1 unless completep)
  double query_scale = 1.0;   // q is multiplied by this before attention's 1 / sqrt(head_dim)
  double logit_scale = 1.0;   // the final norm's output is multiplied by this
  double branch_scale = 1.0;  // each residual branch (attention, MLP) is multiplied by this
};
ForwardMultipliers forward_multipliers(const ModelConfig& config);

// Initial standard deviation of a weight matrix named as in GPT::named_parameters().
double init_std(const ModelConfig& config, const std::string& name);

// One AdamW parameter group: its parameters and its settings relative to optim.*.
struct ParamGroup {
  std::string name;
  std::vector<torch::Tensor> params;
  double lr_scale = 1.0;  // the group's lr is the schedule's lr times this
  double eps = 1e-8;
  double weight_decay = 0.0;
};
// The AdamW groups of a model's named parameters. Under standard exactly two, in parameter order:
// matrices decayed, vectors (norms, biases) not, as the trainer grouped them before.
std::vector<ParamGroup> param_groups(const ModelConfig& model, const OptimConfig& optim,
                                     const torch::OrderedDict<std::string, torch::Tensor>& named);

}  // namespace scalelab
