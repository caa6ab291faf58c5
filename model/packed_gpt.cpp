#include "model/packed_gpt.h"

#include "model/kernels/attention.h"
#include "model/kernels/cross_entropy.h"
#include "model/kernels/rms_norm.h"
#include "model/kernels/rope.h"
#include "model/kernels/swiglu.h"
#include "model/parameterization.h"

namespace scalelab {

PackedGPT::PackedGPT(std::vector<GPT> models) : models_(std::move(models)) {
  TORCH_CHECK(!models_.empty(), "PackedGPT: no models");
  config_ = models_[0]->config();
  const auto multipliers = forward_multipliers(config_);
  query_scale_ = multipliers.query_scale;
  branch_scale_ = multipliers.branch_scale;
  logit_scale_ = multipliers.logit_scale;
  for (const auto& b : models_[0]->named_buffers()) {
    if (b.key() == "rope_cos") rope_cos_ = b.value();
    if (b.key() == "rope_sin") rope_sin_ = b.value();
    if (b.key() == "alibi") alibi_ = b.value();
  }
  torch::NoGradGuard no_grad;
  for (const auto& m : models_) params_.push_back(m->named_parameters().values());
  names_ = models_[0]->named_parameters().keys();
  for (size_t i = 0; i < names_.size(); ++i) {
    std::vector<torch::Tensor> slices;
    for (const auto& p : params_) slices.push_back(p[i]);
    auto stacked = torch::stack(slices).set_requires_grad(true);
    // Each parameter keeps its identity (its optimizer holds it) and points into the stack: the
    // optimizer's in-place update is the stack's, and a checkpoint loaded into it too.
    for (auto& p : params_) p[i].set_data(stacked.detach()[int64_t(&p - params_.data())]);
    stacks_.push_back(stacked);
    index_[names_[i]] = i;
  }
  unit_weight_ = torch::ones({config_.n_embd}, stacks_[0].options().requires_grad(false));
}

const torch::Tensor& PackedGPT::stack(const std::string& name) const {
  const auto it = index_.find(name);
  TORCH_CHECK(it != index_.end(), "PackedGPT: no parameter ", name);
  return stacks_[it->second];
}

torch::Tensor PackedGPT::linear(const torch::Tensor& x,
                                const std::vector<std::string>& names) const {
  std::vector<torch::Tensor> weights;
  for (const auto& n : names) weights.push_back(stack(n));
  auto w = weights.size() == 1 ? weights[0] : torch::cat(weights, 1);  // (K, out, in)
  return torch::bmm(x, w.transpose(1, 2));
}

torch::Tensor PackedGPT::norm(const torch::Tensor& x, const std::string& prefix) const {
  const int64_t K = x.size(0);
  const auto w = stack(prefix + ".weight").view({K, 1, -1});
  if (config_.norm == Norm::layernorm) {
    auto y = at::layer_norm(x, {x.size(-1)}, {}, {}, config_.norm_eps);
    return y * w + stack(prefix + ".bias").view({K, 1, -1});
  }
  // The normalised x times a weight of ones is x itself, bit for bit; each replica's weight after.
  return kernels::rms_norm(x, unit_weight_, config_.norm_eps) * w;
}

torch::Tensor PackedGPT::block(const torch::Tensor& x, int64_t layer, int64_t B, int64_t T) const {
  const int64_t K = x.size(0), H = config_.n_head, Hkv = config_.kv_heads(),
                hd = config_.head_dim();
  const std::string p = "layers." + std::to_string(layer) + ".";
  torch::Tensor cos, sin, alibi;
  if (rope_cos_.defined()) cos = rope_cos_.narrow(0, 0, T), sin = rope_sin_.narrow(0, 0, T);
  if (alibi_.defined()) alibi = alibi_.narrow(2, 0, T).narrow(3, 0, T);

  auto qkv = linear(norm(x, p + "input_layernorm"),
                    {p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight",
                     p + "self_attn.v_proj.weight"});
  auto [q, k, v] = kernels::split_heads(qkv.view({K * B, T, -1}), cos, sin, H, Hkv, hd);
  if (query_scale_ != 1.0) q = q * query_scale_;
  auto attended = kernels::causal_attention(q, k, v, alibi).view({K, B * T, H * hd});
  auto h = linear(attended, {p + "self_attn.o_proj.weight"});
  h = x + (branch_scale_ == 1.0 ? h : branch_scale_ * h);

  auto n = norm(h, p + "post_attention_layernorm");
  torch::Tensor hidden;
  if (config_.mlp == Mlp::swiglu)
    hidden = kernels::swiglu(linear(n, {p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"}));
  else
    hidden = torch::gelu(linear(n, {p + "mlp.up_proj.weight"}), "tanh");
  auto out = linear(hidden, {p + "mlp.down_proj.weight"});
  return h + (branch_scale_ == 1.0 ? out : branch_scale_ * out);
}

torch::Tensor PackedGPT::losses(const torch::Tensor& inputs, const torch::Tensor& targets) {
  const int64_t K = inputs.size(0), B = inputs.size(1), T = inputs.size(2);
  TORCH_CHECK(K == size(), "PackedGPT: ", K, " replicas' rows for ", size(), " replicas");
  TORCH_CHECK(T <= config_.block_size, "sequence length ", T, " exceeds model.block_size ",
              config_.block_size);
  // Replica k's token ids index rows k V ... (k + 1) V - 1 of the stacked embeddings.
  const auto& embed = stack("embed_tokens.weight");  // (K, V, C)
  const int64_t V = embed.size(1), C = embed.size(2);
  const auto offsets = torch::arange(K, inputs.options()).mul_(V).view({K, 1, 1});
  auto x = at::embedding(embed.reshape({K * V, C}), inputs + offsets).view({K, B * T, C});
  if (config_.pos == PosEncoding::learned)
    x = (x.view({K, B, T, C}) + stack("embed_positions.weight").narrow(1, 0, T).unsqueeze(1))
            .view({K, B * T, C});
  for (int64_t l = 0; l < config_.n_layer; ++l) x = block(x, l, B, T);
  x = norm(x, "norm");
  if (logit_scale_ != 1.0) x = x * logit_scale_;
  const auto heads = (config_.tie_embeddings ? embed : stack("lm_head.weight")).unbind(0);
  const auto hidden = x.unbind(0);
  const auto wanted = targets.reshape({K, B * T}).unbind(0);
  std::vector<torch::Tensor> per_replica;
  for (int64_t k = 0; k < K; ++k)
    per_replica.push_back(kernels::linear_cross_entropy(hidden[k], heads[k], wanted[k]));
  return torch::stack(per_replica);
}

void PackedGPT::hand_out_gradients() {
  for (size_t i = 0; i < names_.size(); ++i) {
    auto grad = stacks_[i].grad();
    if (!grad.defined()) grad = torch::zeros_like(stacks_[i]);
    for (size_t k = 0; k < params_.size(); ++k) params_[k][i].mutable_grad() = grad[int64_t(k)];
    stacks_[i].mutable_grad() = torch::Tensor();
  }
}

}  // namespace scalelab
