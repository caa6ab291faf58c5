// A study's shape rule (study_spec.h's LadderSpec) made concrete: every rung's shape and size N,
// smallest first, and the next size beyond a budget's smallest or largest size. Checked whole when
// it is built, before any run: a rung that is no valid shape, or sizes that do not increase, is an
// error naming the rung.
#pragma once

#include <string>
#include <vector>

#include "experiments/study_spec.h"

namespace scalelab::sweep {

struct Rung {
  Assignments shape;  // model.* -> value
  double params = 0;  // N under the study's count
  std::string what;   // "rung 3 (n_layer 2, n_embd 16, n_head 2)", for messages
};

enum class Side { below, above };
const char* side_name(Side side);

class Ladder {
 public:
  // `reference`: a run's config, the rungs' shapes applied over it; `count`: total | non_embedding.
  Ladder(const LadderSpec& spec, const Config& reference, const std::string& count);
  // The rung nearest beyond `size` on `side` (strictly smaller / larger N); nullptr when the
  // ladder ends there.
  const Rung* next(double size, Side side) const;
  const std::vector<Rung>& rungs() const { return rungs_; }
  const std::string& where() const { return where_; }

 private:
  std::vector<Rung> rungs_;
  std::string where_;
};

// N of a model config under the count ("total" | "non_embedding").
double counted_params(const Config& config, const std::string& count);

}  // namespace scalelab::sweep
