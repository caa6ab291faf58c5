// Coordinate checks (Yang et al. 2022, Tensor Programs V, sec. 4 and microsoft/mup coord_check.py):
// train a model of each width (or depth) a few steps at one fixed learning rate and record the
// mean |x| of every layer's output at each step. Under a parameterization whose hyperparameters
// transfer, these scales stay flat as the model grows; under the standard one they drift (the
// logits grow with width after a few Adam steps).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "configs/config.h"

namespace scalelab {

struct CoordCheckOptions {
  std::vector<int64_t> widths;  // model.n_embd values (at the config's n_layer)
  std::vector<int64_t> depths;  // model.n_layer values (at the config's n_embd); may be empty
  std::vector<Parameterization> parameterizations;
  int64_t steps = 4;  // Adam updates; activations are recorded before each and after the last
  int64_t seeds = 2;  // each point is the mean over this many initialisations (and data orders)
};

// One recorded scale: mean |x| of `layer`'s output at `step` (updates applied before that
// forward pass), averaged over the seeds, for a model of the given shape.
struct CoordPoint {
  Parameterization parameterization;
  std::string axis;  // "width" or "depth"
  int64_t width, depth, step;
  std::string layer;  // embeddings, block.i, logits, last_block (= block.{n_layer - 1})
  double mean_abs;
};

// Runs every (parameterization, shape, seed) of the options on config's data at config.optim.lr
// (constant: no schedule, no clipping, as coordinate checks are run). A base_width/base_depth of
// 0 in config means the smallest width/depth checked. Reports each finished run through progress
// (done, total). Throws ConfigError naming the bad value (e.g. a width n_head does not divide).
std::vector<CoordPoint> coord_check(const Config& config, const CoordCheckOptions& options,
                                    const std::function<void(int, int)>& progress = {});

// The least-squares slope of log(mean |x|) against log(width) (or depth) of one layer at one
// step under one parameterization: 0 is flat, 0.5 is sqrt growth.
double coord_slope(const std::vector<CoordPoint>& points, Parameterization p,
                   const std::string& axis, const std::string& layer, int64_t step);

}  // namespace scalelab
