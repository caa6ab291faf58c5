// Packed runs: K runs of one shape trained in one process as one batched model (model/packed_gpt.h)
// where each keeps its own seed, data order, learning rate and schedule, budget, clipping, AdamW
// state, evaluation and checkpoints, and writes an ordinary run folder (config, metrics, summary,
// checkpoints, log) that resumes, branches, exports and fits like a run trained alone. What may
// share a pack: core/packing.h.
#pragma once

#include <vector>

#include "trainer/train.h"

namespace scalelab {

struct PackedRun {
  Config config;
  TrainOptions options;  // run_dir, resume / branch_from / init_from, checkpoint steps, tags
};

// Throws ConfigError, one line, when the runs cannot be one pack: none, a run folder twice, a
// setting they must share that differs (naming both runs and the setting), data parallel, or more
// memory than this machine has.
void check_pack(const std::vector<PackedRun>& runs);

// Trains the runs together until each has ended (finished, early stopped, diverged, or paused by
// --stop-after-step or a stop signal); a run that ends leaves the pack and the others go on.
// Returns each run's summary, in order. A run that diverges ends as it would alone (summary.json
// says diverged) without stopping the others.
std::vector<RunSummary> train_packed(const std::vector<PackedRun>& runs);

}  // namespace scalelab
