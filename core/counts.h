// Exact parameter counts and training FLOPs under each published convention. Pure arithmetic on
// the config (no LibTorch), so calculators and sweeps can size models without building them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "configs/config.h"

namespace scalelab {

struct ParamCounts {
  int64_t token_embedding = 0;     // padded_vocab x n_embd
  int64_t position_embedding = 0;  // block_size x n_embd when pos = learned
  int64_t lm_head = 0;    // padded_vocab x n_embd when untied, else 0 (shares the embedding)
  int64_t attention = 0;  // all layers: q, k, v, o projections
  int64_t mlp = 0;        // all layers
  int64_t norms = 0;      // all norm weights (and biases for layernorm), final norm included
  int64_t total = 0;
  // Kaplan et al. 2020 count N without embedding matrices (token, position, and an untied
  // unembedding): everything else is non-embedding.
  int64_t embedding = 0;
  int64_t non_embedding = 0;
};

ParamCounts count_params(const ModelConfig& model);

// Bytes that training holds per parameter in fp32: weights, gradients and AdamW's two moments.
inline constexpr double kTrainingBytesPerParam = 16;
// A lower bound on a training run's memory (activations come on top).
inline double training_state_bytes(const ModelConfig& model) {
  return kTrainingBytesPerParam * double(count_params(model).total);
}

// Chinchilla (Hoffmann et al. 2022), Appendix F: forward FLOPs of one sequence of block_size
// tokens, term by term. Generalised to GQA (smaller k, v projections) and SwiGLU (three matrices).
struct ChinchillaForward {
  double embeddings = 0, qkv = 0, qk_logits = 0, softmax = 0, softmax_v = 0, out_proj = 0,
         dense = 0, logits = 0;
  double total() const {
    return embeddings + qkv + qk_logits + softmax + softmax_v + out_proj + dense + logits;
  }
};
ChinchillaForward chinchilla_forward_flops(const ModelConfig& model);

// litgpt's estimate_flops (litgpt/utils.py): per sequence, 2 * n_params * T + n_layer * 2 * 2 *
// n_embd * T^2, times 3 for trainable and 2 for frozen parameters when training. Like litgpt, the
// attention term is added for the frozen group even when it holds no parameters.
double litgpt_flops_per_sequence(const ModelConfig& model, int64_t n_trainable, int64_t n_frozen,
                                 bool training);

// Training FLOPs per token (forward + backward) under one convention.
double training_flops_per_token(const ModelConfig& model, FlopConvention convention);

struct ConventionFlops {
  FlopConvention convention;
  std::string label;  // e.g. "6N (non-embedding)"
  double per_token;   // training FLOPs per token
};
// Every convention side by side, in a fixed order.
std::vector<ConventionFlops> all_training_flops(const ModelConfig& model);

}  // namespace scalelab
