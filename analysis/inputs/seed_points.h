// Seeds of one configuration as one point (issue 25 item 2; tags in docs/formats.md): runs
// with the same tags.point are seeds of one (N, D) configuration and become one SeedPoint with
// their mean loss, standard deviation, standard error, count and the trunks they came from. Runs
// without tags.point are points of n = 1, exactly as before seeds existed.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "analysis/inputs/points.h"

namespace scalelab {

struct SeedPoint {
  std::string name;  // tags.point, else the run's (CSV row's) own name
  double N = 0, D = 0, C = 0, budget = 0, U = 0;
  double mean = 0;  // mean final loss over the seeds
  double sd = NAN;  // sample standard deviation (n - 1 in the denominator); NaN when n = 1
  double se = NAN;  // sd / sqrt(n); NaN when n = 1
  int n = 0;
  std::vector<double> losses;       // one per run, in input order
  std::vector<std::string> trunks;  // one per run: the runs that share noise share a trunk
  std::vector<int> seeds;           // one per run: tags.seed, -1 when absent
  std::vector<size_t> members;      // one per run: its index in the points grouped
  // N, D, C, budget, U of the configuration with the mean loss; name = the point's name.
  Point as_point() const;
};

// Groups in order of first appearance. Throws "point NAME: its runs differ in N (a and b)" (or D,
// or budget, to 1e-6 relative) when runs tagged as one point are not one configuration.
std::vector<SeedPoint> group_seeds(const std::vector<Point>& pts);
// The contract's form: the scaling runs' final points (inputs/fit_input.h), grouped.
std::vector<SeedPoint> group_seeds(const std::vector<Run>& runs, ParamCount count);

// True when some point has two or more seeds (a fit can then weight and resample by seed).
bool has_seed_replicates(const std::vector<SeedPoint>& pts);

// Every point's as_point(), in order.
std::vector<Point> seed_means(const std::vector<SeedPoint>& pts);

}  // namespace scalelab
