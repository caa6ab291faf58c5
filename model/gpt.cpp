#include "model/gpt.h"

#include <cmath>

#include "model/kernels/attention.h"
#include "model/kernels/cross_entropy.h"
#include "model/kernels/fused.h"
#include "model/kernels/rms_norm.h"
#include "model/kernels/rope.h"
#include "model/kernels/swiglu.h"
#include "model/parameterization.h"

namespace scalelab {

namespace F = torch::nn::functional;

namespace {

// x W^T for several projections' weights side by side along the output: one matmul on one
// concatenated weight (in an UnfusedScope, one matmul per weight, as the model computed before).
torch::Tensor fused_linear(const torch::Tensor& x, const std::vector<torch::Tensor>& weights) {
  if (kernels::fused_enabled()) return F::linear(x, torch::cat(weights));
  std::vector<torch::Tensor> parts;
  for (const auto& w : weights) parts.push_back(F::linear(x, w));
  return torch::cat(parts, -1);
}

}  // namespace

NormLayerImpl::NormLayerImpl(const ModelConfig& c)
    : kind_(c.norm), eps_(c.norm_eps), dim_(c.n_embd) {
  weight = register_parameter("weight", torch::ones({c.n_embd}));
  if (kind_ == Norm::layernorm) bias = register_parameter("bias", torch::zeros({c.n_embd}));
}

torch::Tensor NormLayerImpl::forward(const torch::Tensor& x) {
  if (kind_ == Norm::layernorm) return at::layer_norm(x, {dim_}, weight, bias, eps_);
  return kernels::rms_norm(x, weight, eps_);
}

std::pair<torch::Tensor, torch::Tensor> rope_tables(int64_t block_size, int64_t head_dim,
                                                    double theta) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto inv_freq = 1.0 / torch::pow(theta, torch::arange(0, head_dim, 2, opts) / head_dim);
  auto freqs = torch::outer(torch::arange(block_size, opts), inv_freq);  // (T, head_dim / 2)
  auto emb = torch::cat({freqs, freqs}, -1);                             // (T, head_dim)
  return {emb.cos().to(torch::kFloat32), emb.sin().to(torch::kFloat32)};
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos,
                         const torch::Tensor& sin) {
  return kernels::apply_rope(x, cos, sin);
}

std::vector<double> alibi_slopes(int64_t n_head) {
  // Press et al. 2022: for a power of two n, slopes 2^(-8/n * k), k = 1..n; otherwise the slopes of
  // the nearest lower power of two followed by every other slope of the next one.
  auto power_of_two = [](int64_t n) {
    std::vector<double> s;
    double start = std::pow(2.0, -8.0 / n);
    for (int64_t k = 1; k <= n; ++k) s.push_back(std::pow(start, k));
    return s;
  };
  int64_t p = 1;
  while (p * 2 <= n_head) p *= 2;
  auto slopes = power_of_two(p);
  if (p < n_head) {
    auto extra = power_of_two(2 * p);
    for (int64_t k = 0; (int64_t)slopes.size() < n_head; k += 2) slopes.push_back(extra[k]);
  }
  return slopes;
}

AttentionImpl::AttentionImpl(const ModelConfig& c)
    : n_head_(c.n_head),
      n_kv_head_(c.kv_heads()),
      head_dim_(c.head_dim()),
      query_scale_(forward_multipliers(c).query_scale) {
  auto linear = [&](int64_t in, int64_t out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  q_proj = register_module("q_proj", linear(c.n_embd, n_head_ * head_dim_));
  k_proj = register_module("k_proj", linear(c.n_embd, n_kv_head_ * head_dim_));
  v_proj = register_module("v_proj", linear(c.n_embd, n_kv_head_ * head_dim_));
  o_proj = register_module("o_proj", linear(n_head_ * head_dim_, c.n_embd));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                     const torch::Tensor& sin, const torch::Tensor& alibi) {
  auto qkv = fused_linear(x, {q_proj->weight, k_proj->weight, v_proj->weight});
  auto [q, k, v] = kernels::split_heads(qkv, cos, sin, n_head_, n_kv_head_, head_dim_);
  if (query_scale_ != 1.0) q = q * query_scale_;  // muP's 1 / head_dim (the kernel: 1 / sqrt)
  return o_proj(kernels::causal_attention(q, k, v, alibi));  // (B, T, H hd) -> (B, T, C)
}

FeedForwardImpl::FeedForwardImpl(const ModelConfig& c) {
  auto linear = [&](int64_t in, int64_t out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  const int64_t hidden = c.ffn_dim();
  if (c.mlp == Mlp::swiglu) gate_proj = register_module("gate_proj", linear(c.n_embd, hidden));
  up_proj = register_module("up_proj", linear(c.n_embd, hidden));
  down_proj = register_module("down_proj", linear(hidden, c.n_embd));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  if (gate_proj)
    return down_proj(kernels::swiglu(fused_linear(x, {gate_proj->weight, up_proj->weight})));
  return down_proj(F::gelu(up_proj(x), F::GELUFuncOptions().approximate("tanh")));
}

BlockImpl::BlockImpl(const ModelConfig& c) : branch_scale_(forward_multipliers(c).branch_scale) {
  input_layernorm = register_module("input_layernorm", NormLayer(c));
  self_attn = register_module("self_attn", Attention(c));
  post_attention_layernorm = register_module("post_attention_layernorm", NormLayer(c));
  mlp = register_module("mlp", FeedForward(c));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                 const torch::Tensor& sin, const torch::Tensor& alibi) {
  if (branch_scale_ == 1.0) {
    auto h = x + self_attn(input_layernorm(x), cos, sin, alibi);
    return h + mlp(post_attention_layernorm(h));
  }
  // CompleteP: x + L^-alpha branch(x) (Dey et al. 2025).
  auto h = x + branch_scale_ * self_attn(input_layernorm(x), cos, sin, alibi);
  return h + branch_scale_ * mlp(post_attention_layernorm(h));
}

GPTImpl::GPTImpl(const ModelConfig& c) : config_(c) {
  validate(c);
  logit_scale_ = forward_multipliers(c).logit_scale;  // once validated: head_dim() divides
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.padded_vocab(), c.n_embd));
  if (c.pos == PosEncoding::learned)
    embed_positions =
        register_module("embed_positions", torch::nn::Embedding(c.block_size, c.n_embd));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.n_layer; ++i) layers->push_back(Block(c));
  norm = register_module("norm", NormLayer(c));
  if (!c.tie_embeddings)
    lm_head = register_module(
        "lm_head",
        torch::nn::Linear(torch::nn::LinearOptions(c.n_embd, c.padded_vocab()).bias(false)));
  if (c.pos == PosEncoding::rope) {
    auto [cos, sin] = rope_tables(c.block_size, c.head_dim(), c.rope_theta);
    rope_cos_ = register_buffer("rope_cos", cos);
    rope_sin_ = register_buffer("rope_sin", sin);
  }
  if (c.pos == PosEncoding::alibi) {
    auto slopes = torch::tensor(alibi_slopes(c.n_head)).to(torch::kFloat32).view({1, -1, 1, 1});
    auto pos = torch::arange(c.block_size, torch::kFloat32);
    auto distance =
        (pos.view({1, -1}) - pos.view({-1, 1}));  // (T, T): j - i, <= 0 below the diagonal
    auto causal = torch::ones({c.block_size, c.block_size}, torch::kBool).tril();
    auto bias = (slopes * distance).masked_fill(~causal, -std::numeric_limits<float>::infinity());
    alibi_ = register_buffer("alibi", bias);  // (1, H, T, T)
  }
  init_weights();
}

void GPTImpl::init_weights() {
  // Normal, with the std the parameterization gives each matrix (model/parameterization.cpp).
  torch::NoGradGuard no_grad;
  for (auto& item : named_parameters()) {
    auto& p = item.value();
    if (p.dim() < 2) continue;  // norm weights and biases keep their ones / zeros
    p.normal_(0.0, init_std(config_, item.key()));
  }
}

torch::Tensor GPTImpl::embed(const torch::Tensor& idx) {
  const int64_t T = idx.size(1);
  TORCH_CHECK(T <= config_.block_size, "sequence length ", T, " exceeds model.block_size ",
              config_.block_size);
  auto x = embed_tokens(idx);  // (B, T, C)
  if (embed_positions) x = x + embed_positions(torch::arange(T, idx.options()));
  return x;
}

torch::Tensor GPTImpl::hidden_states(const torch::Tensor& idx) {
  auto acts = activations(idx, /*logits=*/false);
  return acts.back().second;
}

std::vector<std::pair<std::string, torch::Tensor>> GPTImpl::activations(const torch::Tensor& idx) {
  return activations(idx, /*logits=*/true);
}

std::vector<std::pair<std::string, torch::Tensor>> GPTImpl::activations(const torch::Tensor& idx,
                                                                        bool logits) {
  const int64_t T = idx.size(1);
  std::vector<std::pair<std::string, torch::Tensor>> acts;
  auto x = embed(idx);
  acts.emplace_back("embeddings", x);
  torch::Tensor cos, sin, alibi;
  if (rope_cos_.defined()) {
    cos = rope_cos_.narrow(0, 0, T);
    sin = rope_sin_.narrow(0, 0, T);
  }
  if (alibi_.defined()) alibi = alibi_.narrow(2, 0, T).narrow(3, 0, T);
  for (size_t i = 0; i < layers->size(); ++i) {
    x = layers[i]->as<Block>()->forward(x, cos, sin, alibi);
    acts.emplace_back("block." + std::to_string(i), x);
  }
  x = norm(x);
  if (logit_scale_ != 1.0) x = x * logit_scale_;  // muP's readout multiplier 1 / width_mult
  acts.emplace_back(logits ? "logits" : "hidden", logits ? F::linear(x, head_weight()) : x);
  return acts;
}

const torch::Tensor& GPTImpl::head_weight() const {
  return lm_head ? lm_head->weight : embed_tokens->weight;
}

torch::Tensor GPTImpl::forward(const torch::Tensor& idx) {
  return F::linear(hidden_states(idx), head_weight());
}

torch::Tensor GPTImpl::loss(const torch::Tensor& idx, const torch::Tensor& targets) {
  auto x = hidden_states(idx);  // (B, T, C)
  return kernels::linear_cross_entropy(x.reshape({-1, x.size(-1)}), head_weight(),
                                       targets.reshape({-1}));
}

}  // namespace scalelab
