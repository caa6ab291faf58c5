// The compute frontier: the lowest loss reached at each FLOP count, and by which run (Kaplan et
// al. 2020, sec. 6 / fig. 1; Hoffmann et al. 2022, approach 1).
#pragma once

#include <string>
#include <vector>

#include "analysis/inputs/points.h"

namespace scalelab {

struct FrontierPoint {
  double C = 0, loss = 0, N = 0, D = 0;
  std::string run;
};

// From training curves (eval val_loss when a run logged >= 2 evals, else train loss): on n_grid
// log-spaced FLOP values, the minimum over runs whose curve spans that value of the loss
// interpolated linearly in log C. Runs without curves contribute their final point.
std::vector<FrontierPoint> curve_frontier(const std::vector<Run>& runs, ParamCount count,
                                          int n_grid = 40);

// From final points only: those that beat every point of smaller or equal C (the Pareto front).
std::vector<FrontierPoint> point_frontier(const std::vector<Point>& pts);

// Points grouped by a value equal within rel_tol (log-space bins), keeping each group's lowest
// loss.
std::vector<Point> lower_envelope_by(const std::vector<Point>& pts, bool by_n,
                                     double rel_tol = 0.01);

}  // namespace scalelab
