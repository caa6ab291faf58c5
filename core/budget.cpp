#include "core/budget.h"

#include <algorithm>
#include <cmath>

#include "core/counts.h"

namespace scalelab {

double tokens_per_step(const Config& c) {
  return double(c.train.batch_size) * c.model.block_size;
}

int64_t budget_steps(const Config& c) {
  const double per_step = tokens_per_step(c);
  auto steps_for_tokens = [&](double tokens) {
    return std::max<int64_t>(1, std::llround(std::ceil(tokens / per_step)));
  };
  if (c.train.steps > 0) return c.train.steps;
  if (c.train.tokens > 0) return steps_for_tokens(c.train.tokens);
  if (c.train.flops > 0)
    return steps_for_tokens(c.train.flops /
                            training_flops_per_token(c.model, c.train.flop_convention));
  throw ConfigError("train: no budget; set one of train.steps, train.tokens or train.flops");
}

BatchLayout batch_layout(const Config& c, int world_size) {
  BatchLayout b;
  b.rows_per_rank = c.train.batch_size / world_size;
  b.micro_rows = c.train.micro_batch_size > 0 ? c.train.micro_batch_size : b.rows_per_rank;
  b.n_micro = b.rows_per_rank / b.micro_rows;
  return b;
}

}  // namespace scalelab
