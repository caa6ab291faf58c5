#include "model/parameterization.h"

#include <cmath>

namespace scalelab {
namespace {

bool in_block(const std::string& name) {
  return name.rfind("layers.", 0) == 0;
}
bool residual_projection(const std::string& name) {
  return name.find("o_proj") != std::string::npos || name.find("down_proj") != std::string::npos;
}

}  // namespace

ForwardMultipliers forward_multipliers(const ModelConfig& c) {
  ForwardMultipliers f;
  if (c.parameterization == Parameterization::standard) return f;
  f.width_mult = double(c.n_embd) / double(c.mup_base_width());
  // muP attention: q.k / head_dim (Tensor Programs V, sec. 4 and nanoGPT-mup's attention_scale);
  // the kernels divide by sqrt(head_dim), so q brings the other 1 / sqrt(head_dim).
  f.query_scale = 1.0 / std::sqrt(double(c.head_dim()));
  // MuReadout: the logits times 1 / width_mult (nanoGPT-mup scales the final hidden state, the
  // same product since the LM head is linear).
  f.logit_scale = 1.0 / f.width_mult;
  if (c.parameterization == Parameterization::completep) {
    // CompleteP (Dey et al. 2025), alpha = 1: x + L^-alpha * branch(x), L = depth / base_depth.
    f.depth_mult = double(c.n_layer) / double(c.mup_base_depth());
    f.branch_scale = 1.0 / f.depth_mult;
  }
  return f;
}

double init_std(const ModelConfig& c, const std::string& name) {
  if (c.parameterization == Parameterization::standard) {
    // GPT-2: N(0, init_std = 0.02), residual output projections scaled by 1/sqrt(2 n_layer).
    return residual_projection(name) ? c.init_std / std::sqrt(2.0 * c.n_layer) : c.init_std;
  }
  // muP: embeddings and the readout (vector-like: one dimension grows with width) keep their
  // std; hidden matrices get variance init_std^2 / width_mult, i.e. ~ 1 / fan_in (microsoft/mup
  // init.py for ninf() == 2; nanoGPT-mup's init_std / sqrt(mup_width_multiplier), which drops
  // GPT-2's 1/sqrt(2 n_layer) too; under completep the branch multiplier handles depth).
  // init_std is the base width's: GPT-2's 0.02 was chosen at width 768, about 5x under a
  // fan-in-natural std at a base of 32, and muP carries a base's init to every width
  // (bench/results/mup_init_pilot_design_20261206T0403Z.md), so tune it at the base like the lr.
  if (!in_block(name)) return c.init_std;
  return c.init_std / std::sqrt(forward_multipliers(c).width_mult);
}

std::vector<ParamGroup> param_groups(const ModelConfig& c, const OptimConfig& o,
                                     const torch::OrderedDict<std::string, torch::Tensor>& named) {
  if (c.parameterization == Parameterization::standard) {
    ParamGroup decay{"matrices", {}, 1.0, o.eps, o.weight_decay};
    ParamGroup no_decay{"vectors", {}, 1.0, o.eps, 0.0};
    for (const auto& item : named)
      (item.value().dim() >= 2 ? decay : no_decay).params.push_back(item.value());
    std::vector<ParamGroup> groups;
    for (auto* g : {&decay, &no_decay})
      if (!g->params.empty()) groups.push_back(std::move(*g));
    return groups;
  }
  const auto f = forward_multipliers(c);
  // nanoGPT-mup configure_optimizers: eps / width_mult everywhere; CompleteP also
  // * depth_mult^-alpha in the blocks. Hidden matrices: lr / width_mult * depth_mult^(alpha-1)
  // (alpha = 1: no depth factor), decay * width_mult (microsoft/mup MuAdam and CompleteP's
  // weight_decay / width_lr_scaling: the decoupled decay lr * wd stays what the base model had).
  const double outer_eps = o.eps / f.width_mult;
  const double block_eps = outer_eps / f.depth_mult;
  ParamGroup embeddings{"embeddings", {}, 1.0, outer_eps, o.weight_decay};
  ParamGroup hidden{
      "hidden matrices", {}, 1.0 / f.width_mult, block_eps, o.weight_decay * f.width_mult};
  ParamGroup block_vectors{"block norms", {}, 1.0, block_eps, 0.0};
  ParamGroup outer_vectors{"final norm", {}, 1.0, outer_eps, 0.0};
  for (const auto& item : named) {
    const auto& name = item.key();
    const bool matrix = item.value().dim() >= 2;
    ParamGroup& g =
        in_block(name) ? (matrix ? hidden : block_vectors) : (matrix ? embeddings : outer_vectors);
    g.params.push_back(item.value());
  }
  std::vector<ParamGroup> groups;
  for (auto* g : {&embeddings, &hidden, &block_vectors, &outer_vectors})
    if (!g->params.empty()) groups.push_back(std::move(*g));
  return groups;
}

}  // namespace scalelab
