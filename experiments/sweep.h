// Sweep files: a base config, fixed overrides, a grid (cartesian product and zipped lists),
// derived fields and run names, expanded into fully resolved runs before anything trains.
// The format is documented in experiments/README.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "configs/config.h"
#include "core/counts.h"

namespace scalelab::sweep {

using Assignments =
    std::vector<std::pair<std::string, std::string>>;  // key.path -> value, in order

// One axis of the product: a `grid` key (one key, its values) or a `zip` block (several keys whose
// lists advance together). points[i] holds one value per key.
struct Axis {
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> points;
};

// A block of runs. Without `groups:` the file's top level is the only group; with it, each group
// is the top level with the group's keys merged over it.
struct Group {
  std::string where;       // "file.yaml" or "file.yaml: groups[2]", for errors
  Assignments set;         // fixed overrides
  std::vector<Axis> axes;  // grid keys, then zip blocks
  std::map<std::string, std::map<std::string, std::string>> derive;  // derivation -> parameters
  Assignments tags;                                                  // key -> template
  std::string name;       // template; empty = built from the axes' keys
  std::string init_from;  // template naming the parent run; empty = none
  // `seeds: K`: every grid point becomes K runs <name>-s<i> with train.seed = base + i, tagged
  // point, seed and trunk (experiments/seeds.h). 0 = not stated: one run per point, today's names.
  int seeds = 0;
  // Runs of different families never share a branching trunk (a study's added sizes get their
  // own trunks instead of a finished trunk that lacks their branch points). "" = the grid's own.
  std::string family;
};

// `branching:` (one run, many budgets; Hagele et al. 2024): the runs that differ only in their
// budget share one trunk at the stable lr, and each budget's branch decays from the trunk's
// checkpoint at its own D minus the cooldown (experiments/README.md).
struct Branching {
  double cooldown = 0.2;                  // the fraction of each run's steps that decays
  DecayShape shape = DecayShape::linear;  // linear | 1-sqrt
};

struct Spec {
  std::string path;  // the sweep file
  std::optional<Branching> branching;
  std::string base_path;  // the base config, resolved against the sweep file's folder
  std::string base_text;
  std::string out_root;  // default --out-root; empty = runs/<sweep file stem>
  std::vector<Group> groups;
};

// One fully resolved run.
struct Run {
  std::string name;
  std::string group;     // Group::where
  Assignments point;     // the grid point's values (for listings)
  Config config;         // validated; derived fields applied
  Assignments tags;      // resolved, passed as `scalelab train --tag k=v`
  std::string parent;    // run whose weights start this one ("" = none)
  std::string family;    // Group::family
  int level = 0;         // 0 = no parent; parent's level + 1
  int gpus_per_run = 1;  // sweep.gpus_per_run; > 1 runs under torchrun
  ParamCounts params;
  int64_t steps = 0;                  // what the budget buys
  double tokens = 0;                  // D = steps x batch_size x block_size
  double flops = 0;                   // C = D x FLOPs per token under train.flop_convention
  double budget = 0;                  // tokens_from_flops' C, 0 when the budget was not derived
  std::vector<std::string> warnings;  // e.g. more tokens than the dataset holds
  // Branching: a branch starts from its parent trunk's checkpoint at branch_step; a trunk
  // checkpoints at every branch point of its branches.
  int64_t branch_step = -1;
  std::vector<int64_t> checkpoint_steps;
  bool trunk() const { return !checkpoint_steps.empty(); }
  // Steps this run trains itself (a branch inherits the ones before its branch point).
  int64_t own_steps() const { return branch_step >= 0 ? steps - branch_step : steps; }
};

// Reads a sweep file (the base config path is relative to it).
Spec load_spec(const std::string& path, bool study_file = false);
// Parses sweep YAML text; `dir` is the folder relative paths (base:) are resolved against. A
// `study:` block is an error (run such a file with `scalelab study`) unless `study_file`: then it
// is left to experiments/study_spec.h.
Spec parse_spec(const std::string& yaml_text, const std::string& origin, const std::string& dir,
                bool study_file = false);

// `scalelab sweep FILE --set key=value ...`: applies each assignment to every group, over the
// base config and the sweep's `set:` (the command line wins over both) and before the grid's
// values. A key that a grid or zip of the sweep varies is an error (the grid would win, so the
// --set would do nothing); so is a key the config does not know, the same message as in a config
// file. `sweep.NAME` pseudo-fields may be set too. Derivations run after, on the result.
void apply_sets(Spec& spec, const std::vector<std::string>& sets);

// Expands every group into runs, ordered parents first, and validates the whole set: each
// config, derived field, name (unique, folder-safe) and parent (exists, same model shape).
// Throws before anything runs.
std::vector<Run> expand(const Spec& spec);

}  // namespace scalelab::sweep
