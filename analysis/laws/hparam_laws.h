// Published laws for the peak learning rate and the batch size, and the user's own tuned law
// (hparams.json from `scalelab tune`): what `scalelab plan` prints beside each plan's N and D.
#pragma once

#include <string>

#include "core/hparams.h"

namespace scalelab {

struct HparamPrediction {
  std::string law;
  double lr = 0;
  double batch_tokens = NAN;  // NaN: the law has no batch
};

// DeepSeek LLM (DeepSeek-AI 2024, arXiv:2401.02954, eq. 1): eta_opt = 0.3118 C^-0.1250,
// B_opt = 0.2920 C^0.3271 tokens, C in FLOPs (theirs counts non-embedding FLOPs per token, M D).
HparamPrediction deepseek_hparams(double C);

// Step Law (Li et al. 2025, arXiv:2503.04715, eqs. 3-4): eta = 1.79 N^-0.713 D^0.307,
// B = 0.58 D^0.571 tokens, N non-embedding parameters, D tokens.
HparamPrediction step_law_hparams(double N, double D);

// The tuned law at N (in the file's params_counted convention); the batch when it was tuned.
HparamPrediction tuned_hparams(const Hparams& h, double N);

}  // namespace scalelab
