// One run, many budgets (Hagele et al. 2024): the runs of a grid that differ only in their budget
// become branches of one trunk. The trunk trains at the stable lr (warmup, then constant) up to
// the last branch point and checkpoints at every branch point; each branch is an ordinary run
// folder that starts from the trunk's checkpoint at its own D minus the cooldown and decays to its
// own D (WSD). Its losses equal those of one WSD run that trains the same steps in one go.
#pragma once

#include <vector>

#include "experiments/sweep.h"

namespace scalelab::sweep {

// Rewrites the runs in place (parents first, as expand() orders them): every parent-less run gets
// the WSD schedule with the cooldown; each family of two or more runs gets a trunk, inserted
// before its branches. Throws naming the run when a run's schedule cannot be shared by a trunk
// (warmup given as a fraction of the run's own steps).
void apply_branching(const Branching& branching, std::vector<Run>& runs);

struct ComputeSavings {
  int n_trunks = 0, n_branches = 0;
  double flops_spent = 0;        // what the sweep trains: trunks plus each branch's own steps
  double flops_independent = 0;  // what the same budgets cost as independent runs
};
// FLOPs under each run's train.flop_convention.
ComputeSavings compute_savings(const std::vector<Run>& runs);

}  // namespace scalelab::sweep
