// Text generation from a trained GPT: greedy (temperature 0) or sampled with temperature and
// top-k, one token at a time, with the context cut to the model's block_size as it grows.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/gpt.h"

namespace scalelab {

struct GenerateOptions {
  int64_t max_new_tokens = 200;
  double temperature = 0.8;  // 0: always the most likely token (deterministic)
  int64_t top_k = 0;         // 0: every token; else only the k most likely are drawn from
  uint64_t seed = 0;
  // The tokenizer's ids: rows of the output layer past it are padding and never drawn.
  int64_t vocab_size = 0;
  int64_t stop_token = -1;  // generation ends after this id (the end-of-document token); -1: never
};

// Called with each new id as soon as it is made; returning false stops generation there (a stop
// signal), keeping the ids made so far.
using OnToken = std::function<bool(int64_t id)>;

// Continues `prompt` (at least one id) on the CPU and returns only the new ids.
std::vector<int64_t> generate(GPT& model, const std::vector<int64_t>& prompt,
                              const GenerateOptions& options, const OnToken& on_token = {});

}  // namespace scalelab
