// summary.json: what one run measured (docs/formats.md is its documentation). Written by the
// trainer for every status, paused and diverged included, so that every reader (sweep runner,
// estimator, analysis) finds N, D, C and the config whatever happened to the run.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "configs/config.h"
#include "runfolder/status.h"

namespace scalelab {

struct RunSummary {
  static constexpr int kVersion = 2;
  std::string run_name;
  RunStatus status = RunStatus::finished;
  std::string error;    // diverged: what happened and what to do
  int stop_signal = 0;  // paused by SIGINT / SIGTERM / SIGUSR1: its number; else 0
  int64_t params_total = 0, params_embedding = 0, params_non_embedding = 0;
  double tokens = 0;         // D actually trained
  double unique_tokens = 0;  // U: train tokens drawn from (data.unique_tokens or the split)
  double epochs = 0;         // D / U
  int64_t steps = 0;         // optimizer steps done
  int64_t budget_steps = 0;  // steps the budget buys
  std::map<FlopConvention, double> flops;  // C actually spent, per convention
  double final_val_loss = std::numeric_limits<double>::quiet_NaN();
  double best_val_loss = std::numeric_limits<double>::quiet_NaN();
  double final_train_loss = std::numeric_limits<double>::quiet_NaN();
  double wall_time_s = 0, tokens_per_s = 0;
  std::optional<double> mfu, mfu_measured, peak_flops, measured_peak_flops;
  std::string device, precision, torch_version, git_commit;
  int world_size = 1;
  nlohmann::json config = nlohmann::json::object();  // the resolved config (configs/config_json.h)
  nlohmann::json tags = nlohmann::json::object();    // free-form, set by the sweep runner

  double flops_under(FlopConvention c) const;  // throws when the summary lacks that convention
  // config.train.flops when the budget was given in FLOPs, else tags.budget, else 0.
  double flop_budget() const;
};

nlohmann::json summary_to_json(const RunSummary& summary);
// `where` names the file in errors (a missing or mistyped field).
RunSummary summary_from_json(const nlohmann::json& j, const std::string& where);

std::string summary_path(const std::string& run_dir);
// A tag's value (`--tag k=v`, a pack file's "tags") as summary.json records it: a number when the
// whole text reads as one, else the text.
nlohmann::json tag_value(const std::string& text);
// run_dir/log.txt: what the run logged (every line of its sessions).
std::string log_path(const std::string& run_dir);
// Atomic and checked (common/checked_io.h).
void write_summary(const std::string& run_dir, const RunSummary& summary);
// nullopt when the run has no summary.json; throws naming the file when it is unreadable.
std::optional<RunSummary> read_summary(const std::string& run_dir);

// The fields a sweep runner decides by, read leniently (missing ones keep their defaults);
// nullopt when summary.json is missing or is not a JSON object with a known status.
struct SummaryHead {
  RunStatus status = RunStatus::finished;
  double final_val_loss = std::numeric_limits<double>::quiet_NaN();
  double wall_time_s = 0;
  int64_t steps = 0;
};
std::optional<SummaryHead> read_summary_head(const std::string& run_dir);

}  // namespace scalelab
