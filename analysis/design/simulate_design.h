// A study's precision before it runs (issue 25 item 8): from a prior law L(N, D) and a noise model,
// simulate the study's own procedure R times and report the spread of the headline exponent a
// (N_opt ~ C^a) that approaches 2 and 3 would give, how often their 95% intervals hold the prior's
// a, how often budgets end up bracketed and fits identified, and the runs it costs.
//
// Each repeat does what the study does, with the same code: draw every run's loss (the prior's
// loss plus normal seed noise, sd(N, D) from the noise model, the seeds of one size sharing one
// trunk effect across every budget the size appears in when branched); group the seeds
// (inputs/seed_points.h); extend each budget whose lowest seed mean has fewer than min_each_side
// sizes on a side by the next size on that side (from the caller's shape rule, next_size), all
// its seeds at once, until it is bracketed or max_added sizes were added (fits/budget_minima.h,
// the decision the runner makes); then approach 2 on the bracketed budgets and approach 3 on every
// point, each with its bootstrap and the identifiability gate (fits/approach2.h, approach3.h,
// identify.h). Repeats run on threads, each from its own seed, so results do not depend on them.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/inputs/points.h"
#include "analysis/laws/laws.h"
#include "analysis/laws/noise_model.h"

namespace scalelab {

struct PriorLaw {
  std::string name;
  std::function<double(double N, double D)> loss;
  double a = 0;  // the true exponent of N_opt ~ C^a, which the intervals should hold
  // L = E + A/N^alpha + B/D^beta with a = beta / (alpha + beta).
  static PriorLaw chinchilla(const ChinchillaLaw& law, const std::string& name = "prior");
};

enum class LadderSide { below, above };
// The next size on one side of a budget's ladder (the study's shape rule, which lives with the
// runner in experiments/): the budget's FLOPs, its sizes so far (ascending) and the side; nullopt
// when the rule cannot give one (the budget then stays unbracketed).
using NextSize = std::function<std::optional<double>(double flops, const std::vector<double>& sizes,
                                                     LadderSide side)>;

struct DesignBudget {
  double flops = 0;
  std::vector<double> sizes;  // the first ladder of N
};

struct StudyDesign {
  std::vector<DesignBudget> budgets;
  int seeds = 3;
  bool branched = true;   // the seeds of one size are trunks shared by all its budgets
  int min_each_side = 2;  // the bracketing rule: sizes each side of the lowest seed mean
  int max_added = 4;      // the cap: sizes added per budget
  NextSize next_size;     // empty: ladders are never extended
  // D of a run of N parameters at a budget of C FLOPs under the study's FLOP convention; empty:
  // C / (6 N).
  std::function<double(double N, double C)> tokens;
};

struct SimulationProcedure {
  int repeats = 200;
  int bootstrap = 200;  // resamples per fit, as the study's fit will use
  double max_failed_share = kDefaultMaxFailedShare;
  bool approach2 = true, approach3 = true;
  uint64_t seed = 0;
  int n_threads = 0;  // 0 = hardware concurrency
};

struct ApproachSummary {
  int fitted = 0;      // repeats whose fit succeeded (at least 2 usable budgets for approach 2)
  int identified = 0;  // of those, passing the gate
  // Over the fitted repeats: mean, standard deviation, 2.5% and 97.5% quantiles of a.
  double mean_a = NAN, sd_a = NAN, lo_a = NAN, hi_a = NAN;
  double coverage = NAN;    // share of identified repeats whose 95% interval holds the prior's a
  double mean_width = NAN;  // mean width of those intervals
  std::vector<double> a;    // each repeat's a (NaN where the fit failed)
  std::vector<bool> covered, identified_in;  // each repeat's (false where it failed)
};

struct SimulationResult {
  std::string prior;
  double true_a = 0;
  int repeats = 0;
  ApproachSummary approach2, approach3;
  double bracketed_share = 0;  // budgets bracketed, over repeats and budgets
  double mean_runs = 0, mean_added_runs = 0;
  // FLOPs of the runs, each run counted at its budget (a branch's share of its trunk included),
  // mean over repeats.
  double mean_flops = 0;
  double seconds = 0;  // wall time of the simulation
  nlohmann::json to_json() const;
};

// Throws naming the bad input: no budget, a budget without sizes, seeds < 1, repeats < 1,
// bootstrap < 2, a budget's ladder with a non-positive size.
SimulationResult simulate_design(const StudyDesign& design, const PriorLaw& prior,
                                 const NoiseModel& noise, const SimulationProcedure& procedure);

// The seed of repeat r of a simulation seeded with `seed` (splitmix64): simulate_study with it
// draws exactly the data that repeat fitted, and the repeat's bootstrap uses
// simulation_repeat_seed(that, 1).
uint64_t simulation_repeat_seed(uint64_t seed, uint64_t r);

// One repeat's data (for tests and for anyone who wants to look at a draw): every run as a point
// of its seed group and trunk, after the bracketing waves, with each budget's bracketed flag.
struct SimulatedStudy {
  std::vector<Point> runs;
  std::vector<bool> bracketed;  // per design budget
  int added_runs = 0;
};
SimulatedStudy simulate_study(const StudyDesign& design, const PriorLaw& prior,
                              const NoiseModel& noise, uint64_t seed);

}  // namespace scalelab
