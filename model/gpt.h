// Llama-style decoder-only GPT: token embedding; n_layer blocks of norm -> causal self-attention
// (rotary, grouped-query) -> residual, norm -> MLP -> residual; final norm; LM head (optionally
// tied). Module names follow the Hugging Face Llama layout (embed_tokens, layers.i.mlp.up_proj,
// ...) so export is a rename, not a rewrite. The q/k/v and gate/up projections keep their own
// weights but run as one matmul each, and on CPU the element-wise chains (RMSNorm, rotary
// embedding with the head split, attention, SwiGLU, the loss over the vocabulary) run as fused
// kernels with hand-written backward passes (model/kernels/). In a kernels::UnfusedScope the
// model computes as plain ATen ops, as it did before them. The model runs on one device and
// knows nothing of data parallelism. model.parameterization (model/parameterization.h) sets its
// initialisation and three multipliers (query, residual branch, logits), all 1 under standard.
#pragma once

#include <torch/torch.h>

#include "configs/config.h"

namespace scalelab {

// RMSNorm (Zhang and Sennrich 2019) or LayerNorm, selected by config.
class NormLayerImpl : public torch::nn::Module {
 public:
  NormLayerImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;  // bias only for layernorm

 private:
  Norm kind_;
  double eps_;
  int64_t dim_;
};
TORCH_MODULE(NormLayer);

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const ModelConfig& config);
  // x: (B, T, C); rope: (T, head_dim) cos and sin, or undefined; alibi: (1, H, T, T) or undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& alibi);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
  int64_t n_head_, n_kv_head_, head_dim_;
  double query_scale_;
};
TORCH_MODULE(Attention);

class FeedForwardImpl : public torch::nn::Module {
 public:
  explicit FeedForwardImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x);
  // SwiGLU: down(silu(gate(x)) * up(x)); GELU: down(gelu(up(x))), gate unused.
  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(FeedForward);

class BlockImpl : public torch::nn::Module {
 public:
  explicit BlockImpl(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& alibi);
  NormLayer input_layernorm{nullptr}, post_attention_layernorm{nullptr};
  Attention self_attn{nullptr};
  FeedForward mlp{nullptr};

 private:
  double branch_scale_;
};
TORCH_MODULE(Block);

class GPTImpl : public torch::nn::Module {
 public:
  explicit GPTImpl(const ModelConfig& config);
  // idx: (B, T) int64 token ids, T <= block_size -> logits (B, T, padded_vocab).
  torch::Tensor forward(const torch::Tensor& idx);
  // Mean next-token cross-entropy in fp32; targets (B, T) int64.
  torch::Tensor loss(const torch::Tensor& idx, const torch::Tensor& targets);
  // The final norm's output (B, T, C) times the logit multiplier, the input of the LM head.
  torch::Tensor hidden_states(const torch::Tensor& idx);
  // Named activations of one forward pass, in order: "embeddings", "block.i" (each block's
  // output), "logits" (coordinate checks, `scalelab coord-check`).
  std::vector<std::pair<std::string, torch::Tensor>> activations(const torch::Tensor& idx);
  // The LM head's weight (V, C): lm_head's, or the token embedding's when tied.
  const torch::Tensor& head_weight() const;
  const ModelConfig& config() const { return config_; }

  torch::nn::Embedding embed_tokens{nullptr}, embed_positions{nullptr};  // positions: pos=learned
  torch::nn::ModuleList layers{nullptr};
  NormLayer norm{nullptr};
  torch::nn::Linear lm_head{nullptr};  // null when tied to embed_tokens

 private:
  void init_weights();
  torch::Tensor embed(const torch::Tensor& idx);
  // The activations up to "logits" (logits true) or up to the LM head's input, named "hidden".
  std::vector<std::pair<std::string, torch::Tensor>> activations(const torch::Tensor& idx,
                                                                 bool logits);
  ModelConfig config_;
  double logit_scale_;
  torch::Tensor rope_cos_, rope_sin_;  // (block_size, head_dim), buffers
  torch::Tensor alibi_;                // (1, n_head, block_size, block_size), buffer
};
TORCH_MODULE(GPT);

// Rotary embedding tables in the half-split ("rotate_half") convention of Hugging Face Llama:
// cos, sin of shape (T, head_dim).
std::pair<torch::Tensor, torch::Tensor> rope_tables(int64_t block_size, int64_t head_dim,
                                                    double theta);
// x: (B, H, T, head_dim) rotated by position.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos,
                         const torch::Tensor& sin);
// ALiBi (Press et al. 2022) head slopes, geometric from 2^(-8/n) for n heads.
std::vector<double> alibi_slopes(int64_t n_head);

}  // namespace scalelab
