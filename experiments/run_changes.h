// A run folder against the run the sweep file describes now: what the folder trained (its
// summary.json), and which settings of the sweep's run differ from the ones it trained with. The
// runner never passes over a changed run in silence: it names the change, keeps the run as it
// trained (and shows what that was), and retrains it only when asked (`--rerun-changed`), with the
// old files set aside inside the run's folder rather than deleted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "experiments/sweep.h"

namespace scalelab::sweep {

// What a run folder's summary.json says the run trained.
struct TrainedRun {
  int64_t params_total = 0;
  double tokens = 0;  // D actually trained
  int64_t steps = 0;
  double tokens_per_s = 0;
  double chinchilla_flops = 0;  // C under the Chinchilla convention (0 when not recorded)
  bool branch = false;          // tags.branching == "branch": its D includes the trunk's steps
  bool complete = false;        // status finished or early_stopped (not paused or diverged)
};
// nullopt when the folder has no readable summary.json.
std::optional<TrainedRun> read_trained(const std::string& run_dir);

// The settings of `run` that differ from those its folder trained with (summary.json's config,
// else config.yaml), each "key: trained -> now". Not compared: settings that do not change what a
// run learns (train.threads, train.device, train.micro_batch_size, log.*, checkpoint.*, and
// eval.every without early stopping); data.path as the folder it names; and a trunk's budget
// and cooldown (a trunk is where its branches start: its steps follow the branch points, and a
// branch point it has no checkpoint for is regrown, experiments/trunk_regrow.h). Empty when they
// agree, or when the folder records no config that this version can read.
std::vector<std::string> config_changes(const Run& run, const std::string& run_dir);

// "schedule.decay_fraction: 0.2 -> 0.3, train.steps: 40 -> 30" (at most `max`, then "and K more").
std::string changes_text(const std::vector<std::string>& changes, size_t max = 3);

// Moves a run folder's files into run_dir/replaced/<UTC time>/ (all but its lock files and the
// earlier replaced/ sets), summary.json last: until the move ends the folder still reads as the
// run it was. Returns the folder they went to. Throws naming the file that cannot be moved.
std::string set_aside(const std::string& run_dir);

}  // namespace scalelab::sweep
