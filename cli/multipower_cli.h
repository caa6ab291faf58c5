// The Multi-Power Law's commands (analysis/fits/multipower_fit.h): `scalelab fit --law multipower`
// on loss curves of one model size, and `scalelab predict --law FITS.json --schedule ...` for a
// curve.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"

namespace scalelab::cli {

// Fits CSVs (step, lr, loss), folders of them, or run folders; writes OUT/fits.json and
// OUT/figures/multipower_curves.{png,svg}. Curves in held_out are not fitted: the law predicts
// them from their schedules, and their errors are printed and kept in fits.json.
void fit_multipower_command(const std::vector<std::string>& inputs,
                            const std::vector<std::string>& held_out, const std::string& out,
                            const FitOptions& opts, bool json);

struct MultiPowerPredictOptions {
  std::string schedule, config, decay_shape = "linear";
  int64_t steps = 0, warmup = 0;
  double lr = 0, min_lr = -1, decay_fraction = 0.2;
  int points = 8;
  bool requested() const { return !schedule.empty() || !config.empty(); }
};
std::shared_ptr<MultiPowerPredictOptions> add_multipower_predict_options(CLI::App* cmd);
void predict_multipower(const MultiPowerPredictOptions& o, const std::vector<std::string>& laws,
                        bool json);

}  // namespace scalelab::cli
