// Derived fields of a sweep run: a model shape from a target parameter count, and the training
// tokens a FLOP budget buys. Each returns config overrides ("key.path", "value").
#pragma once

#include <map>
#include <string>

#include "experiments/sweep.h"

namespace scalelab::sweep {

using Params = std::map<std::string, std::string>;  // a derivation's parameters, templates resolved

// shape_from_params: {params: N, count: non_embedding|total, n_layer: L | aspect_ratio: A,
// head_dim: h, tolerance: 0.1}. Searches n_layer and n_embd (a multiple of head_dim; n_head =
// n_embd / head_dim) for the count closest to N: at the given depth, or at the depth whose
// n_embd / n_layer is closest to A (Kaplan et al. 2020's aspect ratio). No shape within the
// tolerance is an error naming the closest one.
Assignments derive_shape(const ModelConfig& model, const Params& params, const std::string& what);

// tokens_from_flops: {flops: C, convention: 6n|6n_total|litgpt|chinchilla|palm}. D = C / (training
// FLOPs per token of the model under the convention, core/counts.h); sets train.tokens (and
// clears train.steps and train.flops). A budget that buys less than one step is an error.
Assignments derive_tokens(const Config& config, const Params& params, const std::string& what,
                          double* budget);

}  // namespace scalelab::sweep
