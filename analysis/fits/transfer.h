// Transfer (Hernandez et al. 2021, eq. 1.1): effective data transferred D_T = k D_F^alpha N^beta,
// from the runs of the transfer study.
#pragma once

#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/inputs/points.h"

namespace scalelab {

struct TransferPoint {
  double N = 0, D_F = 0, D_T = 0, loss = 0;
  std::string run;
};

// Runs tagged study = "transfer": role = "scratch" runs give, per N, the loss-vs-tokens curve of
// training from scratch on the target data (eval curves plus final points, made monotone);
// role = "finetune" runs with finetune_tokens = D_F give the fine-tuned loss. D_T = D_E - D_F,
// where the scratch curve of the same N reaches the fine-tuned loss at D_E (interpolated in log D).
// Fine-tuned losses outside the scratch curve's range are skipped with a note.
std::vector<TransferPoint> transfer_points(const std::vector<Run>& runs, ParamCount count,
                                           std::vector<std::string>& notes);

FitResult fit_transfer(const std::vector<Run>& runs, ParamCount count, const FitOptions& opts);

}  // namespace scalelab
