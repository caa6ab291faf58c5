#include "core/counts.h"

namespace scalelab {

namespace {

// int64 arithmetic that refuses to wrap: a 4e9-wide model would otherwise count negative
// parameters.
struct Checked {
  const ModelConfig& m;
  int64_t mul(int64_t a, int64_t b) const {
    int64_t out = 0;
    if (__builtin_mul_overflow(a, b, &out)) overflow();
    return out;
  }
  int64_t add(int64_t a, int64_t b) const {
    int64_t out = 0;
    if (__builtin_add_overflow(a, b, &out)) overflow();
    return out;
  }
  [[noreturn]] void overflow() const {
    throw ConfigError("model: the parameter count of n_layer = " + std::to_string(m.n_layer) +
                      ", n_embd = " + std::to_string(m.n_embd) +
                      ", vocab_size = " + std::to_string(m.vocab_size) +
                      " exceeds 9.2e18 (64-bit integers); no machine holds such a model");
  }
};

}  // namespace

ParamCounts count_params(const ModelConfig& m) {
  const Checked k{m};
  ParamCounts c;
  const int64_t d = m.n_embd, v = m.padded_vocab(), L = m.n_layer;
  const int64_t q_dim = k.mul(m.n_head, m.head_dim()), kv_dim = k.mul(m.kv_heads(), m.head_dim());
  c.token_embedding = k.mul(v, d);
  c.position_embedding = m.pos == PosEncoding::learned ? k.mul(m.block_size, d) : 0;
  c.lm_head = m.tie_embeddings ? 0 : k.mul(v, d);
  const int64_t per_layer_attention =
      k.add(k.add(k.mul(d, q_dim), k.mul(2, k.mul(d, kv_dim))), k.mul(q_dim, d));
  c.attention = k.mul(L, per_layer_attention);
  const int64_t n_mlp_matrices = m.mlp == Mlp::swiglu ? 3 : 2;
  c.mlp = k.mul(L, k.mul(n_mlp_matrices, k.mul(d, m.ffn_dim())));
  const int64_t per_norm = m.norm == Norm::layernorm ? k.mul(2, d) : d;  // weight (+ bias)
  c.norms = k.mul(k.add(k.mul(2, L), 1), per_norm);
  c.embedding = k.add(k.add(c.token_embedding, c.position_embedding), c.lm_head);
  c.non_embedding = k.add(k.add(c.attention, c.mlp), c.norms);
  c.total = k.add(c.embedding, c.non_embedding);
  return c;
}

ChinchillaForward chinchilla_forward_flops(const ModelConfig& m) {
  const double T = m.block_size, d = m.n_embd, V = m.padded_vocab(), L = m.n_layer;
  const double H = m.n_head, q_dim = m.n_head * m.head_dim(), kv_dim = m.kv_heads() * m.head_dim();
  const double n_mlp_matrices = m.mlp == Mlp::swiglu ? 3 : 2;
  ChinchillaForward f;
  f.embeddings = 2 * T * V * d;
  f.qkv = L * 2 * T * d * (q_dim + 2 * kv_dim);  // the paper: 2 x 3 x T x d x (key_size x heads)
  f.qk_logits = L * 2 * T * T * q_dim;
  f.softmax = L * 3 * H * T * T;
  f.softmax_v = L * 2 * T * T * q_dim;
  f.out_proj = L * 2 * T * q_dim * d;
  f.dense = L * 2 * T * n_mlp_matrices * d * m.ffn_dim();  // the paper: 2 x T x (d x ffw + d x ffw)
  f.logits = 2 * T * d * V;
  return f;
}

double litgpt_flops_per_sequence(const ModelConfig& m, int64_t n_trainable, int64_t n_frozen,
                                 bool training) {
  const double T = m.block_size;
  auto per_seq = [&](double n_params) {
    return 2 * n_params * T + m.n_layer * 2.0 * 2.0 * m.n_embd * T * T;
  };
  const double trainable_ops = training ? 3 : 1, frozen_ops = training ? 2 : 1;
  return trainable_ops * per_seq(n_trainable) + frozen_ops * per_seq(n_frozen);
}

double training_flops_per_token(const ModelConfig& m, FlopConvention convention) {
  const ParamCounts p = count_params(m);
  const double T = m.block_size;
  switch (convention) {
    case FlopConvention::six_n:  // Kaplan et al. 2020, C = 6 N D with non-embedding N
      return 6.0 * p.non_embedding;
    case FlopConvention::six_n_total:
      return 6.0 * p.total;
    case FlopConvention::litgpt:
      return litgpt_flops_per_sequence(m, p.total, 0, true) / T;
    case FlopConvention::chinchilla:  // backward = 2 x forward (Appendix F)
      return 3.0 * chinchilla_forward_flops(m).total() / T;
    case FlopConvention::palm:  // Chowdhery et al. 2022, Appendix B: 6N + 12 L H Q T
      return 6.0 * p.non_embedding + 12.0 * m.n_layer * m.n_head * m.head_dim() * T;
  }
  return 0;
}

std::vector<ConventionFlops> all_training_flops(const ModelConfig& m) {
  std::vector<ConventionFlops> out;
  for (auto [c, label] : {std::pair{FlopConvention::six_n, "6N (non-embedding N)"},
                          std::pair{FlopConvention::six_n_total, "6N (total N)"},
                          std::pair{FlopConvention::litgpt, "litgpt estimate_flops"},
                          std::pair{FlopConvention::chinchilla, "Chinchilla Appendix F"},
                          std::pair{FlopConvention::palm, "PaLM 6N + 12LHQT"}})
    out.push_back({c, label, training_flops_per_token(m, c)});
  return out;
}

}  // namespace scalelab
