// `scalelab study FILE`: a study file is a sweep file (base, set, grid / zip / groups, derive,
// tags, seeds, branching) with a `study:` block that states, before any run, what the study
// claims, which laws it fits, which approach heads its report and why, its bootstrap, its
// bracketing rule and the inputs of its power analysis (issue 25; format in
// experiments/README.md, "Studies"). This file reads it; experiments/study_run.h runs it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "experiments/sweep.h"

namespace scalelab::sweep {

// The shape rule of bracketing: an ordered ladder of model shapes, smallest first. Either every
// rung spelled out (`shapes:`), or sizes N_i = from x ratio^i (i = 0, 1, ... while N_i <= to) whose
// shapes come from shape_from_params (derive.h) with the `shape:` parameters.
struct LadderSpec {
  std::string where;                 // "file:line", for errors
  std::vector<Assignments> shapes;   // explicit rungs: config keys ("model.n_embd") -> values
  std::vector<std::string> rung_at;  // "file:line" of each explicit rung
  double from = 0, ratio = 0, to = 0;
  std::map<std::string, std::string> shape;  // n_layer | aspect_ratio, head_dim, tolerance
  bool geometric() const { return from > 0; }
};

struct BracketingSpec {
  bool enabled = false;  // no `bracketing:` block: the design is trained as written
  std::string where;
  int each_side = 2;  // sizes wanted on each side of a budget's lowest seed mean
  int max_added = 0;  // sizes bracketing may add to one budget; then the budget is unbracketed
  LadderSpec ladder;
};

// The power analysis' inputs: a prior law L = E + A / N^alpha + B / D^beta, a noise model (one
// run's loss varies between seeds with sd = sd_coef (D/N)^sd_exponent; branches of one trunk
// correlate at trunk_correlation) and how many simulated repeats. The noise model's default is the
// demo's measured one (experiments/demo/NOISE.md).
struct PowerSpec {
  std::map<std::string, double> prior;  // E, A, alpha, B, beta; empty = no power analysis
  double sd_coef = 0.108, sd_exponent = -0.26, trunk_correlation = 0.77;
  int repeats = 200;
  uint64_t seed = 0;
};

struct NamedEntry {
  std::string name, where;  // where: "file:line"
};

struct StudySpec {
  std::string path;
  std::string claim;
  std::vector<NamedEntry> laws;  // `scalelab fit --law` names; the command checks them
  NamedEntry headline;           // one of laws: the approach that heads the report
  std::string headline_why;
  std::string params_counted = "total";  // total | non_embedding: the N of laws, budgets, ladder
  int bootstrap = 1000;                  // resamples
  double max_failed_share = 0.1;  // an interval whose bootstrap lost more is "not identified"
  uint64_t bootstrap_seed = 0;
  BracketingSpec bracketing;
  PowerSpec power;
  Spec sweep;  // the file without `study:`
};

// Reads the file; throws one line naming the file, line and key for anything malformed: no
// `study:` block, no claim, no laws, a headline that is not one of the laws, a group without
// seeds, seeds 0, a cap (max_added) below 1, a ladder that is not increasing, ...
StudySpec parse_study(const std::string& yaml_text, const std::string& origin,
                      const std::string& dir);
StudySpec load_study(const std::string& path);

}  // namespace scalelab::sweep
