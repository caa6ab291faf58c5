// What the fitters read: final (N, D, C, loss) points and training curves, from run folders
// (docs/formats.md) or from a CSV whose columns are named by the user.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "configs/config_enums.h"
#include "runfolder/status.h"

namespace scalelab {

// One final point. N is whichever count the user asked for (total or non-embedding).
struct Point {
  double N = 0, D = 0, C = 0, loss = 0;
  std::string name;
  double budget = 0;  // IsoFLOP budget the run belonged to; 0 = unknown (group by C)
  double U = 0;       // unique tokens the run drew its D tokens from; 0 = unknown (fresh data)
  // Seeds (docs/formats.md, tags): runs with the same `group` (tags.point) are seeds of one
  // configuration (inputs/seed_points.h); `trunk` (tags.trunk, else the run's own name) names the
  // runs that share noise; `seed` is tags.seed (-1 when absent). Empty group: a point of its own.
  std::string group{}, trunk{};
  int seed = -1;
};

// One logged step of a training curve; flops under the chosen convention, cumulative.
struct CurvePoint {
  double tokens = 0, flops = 0, loss = 0;
};

struct Run {
  std::string name, path;
  RunStatus status = RunStatus::finished;
  int64_t steps = 0, budget_steps = 0;
  double params_total = 0, params_non_embedding = 0, tokens = 0, flops = 0;
  double final_val_loss = 0, best_val_loss = 0;
  double budget = 0;              // config.train.flops, else tags.budget; 0 when neither is set
  std::string budget_convention;  // config.train.flop_convention ("6n", "chinchilla"...), or ""
  nlohmann::json tags = nlohmann::json::object();
  std::vector<CurvePoint> train, eval;  // from metrics.jsonl
};

enum class ParamCount { total, non_embedding };
ParamCount parse_param_count(const std::string& s);  // "total" | "non-embedding"

struct RunReadOptions {
  FlopConvention flop_convention = FlopConvention::six_n;  // which of summary.flops is C
  bool allow_missing_summary = false;  // else a run without summary.json is an error
};

struct RunSet {
  std::vector<Run> runs;                // with summaries
  std::vector<std::string> unfinished;  // run folders without summary.json, by name
  std::vector<std::string> notes;       // e.g. diverged runs left out of fits, naming them
  std::vector<std::string> left_out;  // every run not fitted, with why: "NAME (diverged at step 7)"
};

// A run folder (holds summary.json, metrics.jsonl or config.yaml) or a folder of them (searched
// recursively). Throws naming the folder when no run is found.
RunSet read_runs(const std::string& path, const RunReadOptions& opts = {});
Run read_run(const std::string& dir, FlopConvention flop_convention);

// Final points of the complete runs (finished or early-stopped; diverged and paused runs are left
// out). Point::U comes from tags.unique_tokens (a number or a numeric string) when set; group,
// trunk and seed from tags.point, tags.trunk and tags.seed.
std::vector<Point> run_points(const std::vector<Run>& runs, ParamCount count);
double run_params(const Run& r, ParamCount count);

struct CsvColumns {
  std::string n = "N", d = "D", c = "C", loss = "loss", u = "U";
};
// Rows of a CSV with a header line. D comes from the D column when it exists, else D = C / (6 N);
// C from the C column when it exists, else C = 6 N D; U (unique tokens) from the U column when it
// exists, else 0. Every value must be a positive number.
std::vector<Point> read_csv_points(const std::string& path, const CsvColumns& cols = {});

// Throws "<law>: needs at least <n> points, got <m>" when there are too few.
void require_points(size_t have, size_t need, const std::string& law);

}  // namespace scalelab
