// Training-loss curves of one model size with the learning rate of every step: what the
// Multi-Power Law (laws/multipower_law.h) is fitted to. From CSVs of step, lr, loss or from run
// folders (train losses of metrics.jsonl, lr per step from the run's resolved schedule).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scalelab {

struct LossCurve {
  std::string name;               // file or run name
  std::string lr_source;          // how lr per step was obtained (goes into fits.json)
  std::vector<double> lr;         // lr[s - 1] = lr of step s
  int64_t warmup = 0;             // steps 1..warmup are the warmup (their losses not fitted)
  std::vector<int64_t> steps;     // steps with a measured loss, >= warmup, ascending
  std::vector<double> loss;       // measured loss at those steps
  int64_t dropped_in_warmup = 0;  // logged points before the warmup's end, not fitted
};

// A CSV with columns step, lr, loss (header line; other columns ignored). lr per step is
// interpolated linearly between the sampled rows (and from lr 0 at step 0 to the first row); the
// warmup ends at the first row with the largest lr. Throws one line naming the file when a column
// is missing (an lr column above all: the law needs the schedule).
LossCurve read_multipower_csv(const std::string& path);
// A run folder: train losses of metrics.jsonl, lr per step from summary.config's schedule and
// optim (core/schedule.h) over summary.budget_steps.
LossCurve read_multipower_run(const std::string& run_dir);
// Each path: a .csv file, a folder of .csv files, a run folder or a folder of run folders.
// Run folders must all have the same parameter count (one model size). A curve of more than 1,000
// points is thinned to every k-th point (and its last), with a note.
std::vector<LossCurve> load_multipower_curves(const std::vector<std::string>& paths,
                                              std::vector<std::string>& notes);

}  // namespace scalelab
