// Seeds as a design axis (issue 25 item 2): `seeds: K` turns every grid point
// into K runs that differ only in train.seed (initialisation and data order). The tags written
// here are what the analysis groups by: `point` (the seeds of one configuration), `seed`, and
// `trunk` (the runs that share noise: branches of one trunk move together).
#pragma once

#include <string>
#include <vector>

#include "experiments/sweep.h"

namespace scalelab::sweep {

inline constexpr const char* kPointTag = "point";
inline constexpr const char* kSeedTag = "seed";
inline constexpr const char* kTrunkTag = "trunk";

// "<name>-s<i>".
std::string seed_run_name(const std::string& point_name, int seed_index);

// Names the run for its seed and adds the point and seed tags. Throws naming the group when the
// sweep's own tags already use one of the reserved names.
void mark_seed(Run& run, int seed_index);

// After branching: every seeded run gets `trunk`: its trunk's name for a branch, its own name
// otherwise (a trunk's own point tag becomes "<point>-trunk", so that no grouping mixes a trunk
// with the branches it feeds).
void tag_trunks(std::vector<Run>& runs);

// A seeded run whose init_from names an unseeded point takes that point's run of the same seed.
// `exists` says whether a run name is part of the sweep.
template <typename Exists>
void match_seeded_parent(Run& run, const Exists& exists);

// The seed index of a seeded run (its `seed` tag), -1 for an unseeded one.
int seed_index(const Run& run);

template <typename Exists>
void match_seeded_parent(Run& run, const Exists& exists) {
  const int i = seed_index(run);
  if (i < 0 || run.parent.empty() || exists(run.parent)) return;
  if (exists(seed_run_name(run.parent, i))) run.parent = seed_run_name(run.parent, i);
}

}  // namespace scalelab::sweep
