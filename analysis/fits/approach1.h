// Chinchilla approach 1 (Hoffmann et al. 2022, sec. 3.1): compute-optimal allocation
// N_opt(C) = k_N C^a, D_opt(C) = k_D C^b from the lower envelope of training curves.
#pragma once

#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/inputs/points.h"

namespace scalelab {

// Approach 1: the frontier (curves when runs are given, else final points) -> which N and D reach
// the lowest loss at each C -> power laws in C. Bootstrap resamples runs (or points).
FitResult fit_approach1(const std::vector<Point>& pts, const std::vector<Run>& runs,
                        ParamCount count, const FitOptions& opts);

}  // namespace scalelab
