// One optimizer step: this rank's rows of the step's global batch in micro-steps (gradients
// accumulated, averaged across ranks on the last one), clipping, the fused AdamW update.
#pragma once

#include <cmath>

#include "trainer/session.h"

namespace scalelab {

struct StepResult {
  double lr = 0;
  double loss = 0;       // mean over the global batch (all ranks)
  double grad_norm = 0;  // global norm before clipping
  bool finite() const { return std::isfinite(loss) && std::isfinite(grad_norm); }
};

class StepRunner {
 public:
  explicit StepRunner(TrainSession& session);
  StepResult run(int64_t step, double lr);
  // Mean validation loss over the fixed windows, averaged across ranks.
  double evaluate();

 private:
  TrainSession& s_;
  std::vector<int64_t> buffer_;
};

}  // namespace scalelab
