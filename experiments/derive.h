// Derived fields of a sweep run: a model shape from a target parameter count, the training tokens
// a FLOP budget buys, a warmup as long as the model has parameters, and the peak lr of a tuned
// lr_opt(N) law. Each returns config overrides ("key.path", "value").
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

// warmup_from_params: {tokens_per_param: r = 1, count: total|non_embedding}. Porian et al. 2024
// warm up for about as many tokens as the model has parameters (Kaplan et al. 2020 used a fixed
// 3000 steps, far too long for small models): schedule.warmup_steps = max(1, round(r N / tokens
// per step)), warmup_fraction = 0.
Assignments derive_warmup(const Config& config, const Params& params, const std::string& what);

// lr_from: {file: hparams.json, use: law|size, extrapolate: 10, warmup: tuned|keep}. Sets
// optim.lr to the tuned law at the run's N (under the file's params_counted), or with use: size to
// the lr_opt measured at that very size (a size not in the file is an error naming it), and
// optim.min_lr so that min_lr / lr stays the run's. A run whose N lies more than `extrapolate`
// times outside the tuned sizes is an error naming it. warmup: tuned (the default) also applies
// the warmup the lr was tuned under (the file's warmup_tokens_per_param), since the optimum lr
// depends on it; keep leaves the run's warmup alone. `lr_out` gets the lr set.
Assignments derive_lr(const Config& config, const Params& params, const std::string& what,
                      double* lr_out = nullptr);

}  // namespace scalelab::sweep
