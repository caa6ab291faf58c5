#include "analysis/laws/hparam_laws.h"

#include <cmath>

namespace scalelab {

HparamPrediction deepseek_hparams(double C) {
  return {"deepseek-2024", 0.3118 * std::pow(C, -0.1250), 0.2920 * std::pow(C, 0.3271)};
}

HparamPrediction step_law_hparams(double N, double D) {
  return {"step-law-2025", 1.79 * std::pow(N, -0.713) * std::pow(D, 0.307),
          0.58 * std::pow(D, 0.571)};
}

HparamPrediction tuned_hparams(const Hparams& h, double N) {
  return {h.path, h.lr(N), h.batch_tokens ? (*h.batch_tokens)(N) : NAN};
}

}  // namespace scalelab
