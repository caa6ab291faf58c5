// model/parameterization: muP (Yang et al. 2022) and CompleteP (Dey et al. 2025) against their
// closed forms: logit scale at initialisation against width, init variance ~ 1 / fan_in, the
// per-group AdamW settings, the residual-branch multiplier; standard keeps every multiplier at 1.
#include <gtest/gtest.h>

#include <cmath>

#include "model/gpt.h"
#include "model/parameterization.h"

using namespace scalelab;

namespace {

ModelConfig at_width(int64_t width, Parameterization p, int64_t base_width = 32) {
  ModelConfig m;
  m.vocab_size = 256;
  m.block_size = 32;
  m.n_layer = 2;
  m.n_head = 4;
  m.n_embd = width;
  m.tie_embeddings = false;  // a tied head sees its own row in h (h.e_t ~ |e_t|^2): see below
  m.parameterization = p;
  if (p != Parameterization::standard) m.base_width = base_width;
  return m;
}

// std of the logits at initialisation over a batch of random tokens, averaged over seeds.
double logit_std(const ModelConfig& m) {
  torch::NoGradGuard no_grad;
  double sum = 0;
  const int seeds = 3;
  for (int seed = 0; seed < seeds; ++seed) {
    torch::manual_seed(seed);
    GPT model(m);
    auto idx = torch::randint(0, m.vocab_size, {8, m.block_size}, torch::kLong);
    sum += model->forward(idx).std().item<double>();
  }
  return sum / seeds;
}

const std::vector<int64_t> kWidths = {32, 64, 128, 256};

}  // namespace

TEST(Parameterization, StandardKeepsEveryMultiplierAtOneAndGpt2Init) {
  ModelConfig m = at_width(64, Parameterization::standard);
  const auto f = forward_multipliers(m);
  EXPECT_EQ(f.query_scale, 1.0);
  EXPECT_EQ(f.logit_scale, 1.0);
  EXPECT_EQ(f.branch_scale, 1.0);
  EXPECT_EQ(init_std(m, "layers.0.self_attn.q_proj.weight"), 0.02);
  EXPECT_EQ(init_std(m, "layers.1.mlp.down_proj.weight"), 0.02 / std::sqrt(2.0 * m.n_layer));
  EXPECT_EQ(init_std(m, "embed_tokens.weight"), 0.02);
}

// Under standard, h (RMS-normalised, rms ~ 1) times a head of N(0, 0.02) rows gives logits of std
// 0.02 sqrt(width): x sqrt(2) per doubling. Under muP the head reads h / width_mult, so the std
// is 0.02 sqrt(base) sqrt(base / width): x 1 / sqrt(2) per doubling, never growing.
TEST(Parameterization, LogitScaleAtInitGrowsUnderStandardAndNotUnderMup) {
  std::vector<double> standard, mup;
  for (int64_t w : kWidths) {
    standard.push_back(logit_std(at_width(w, Parameterization::standard)));
    mup.push_back(logit_std(at_width(w, Parameterization::mup)));
  }
  for (size_t i = 1; i < kWidths.size(); ++i) {
    const double rs = standard[i] / standard[i - 1], rm = mup[i] / mup[i - 1];
    std::printf("[mup] width %3ld -> %3ld: logit std x %.3f standard, x %.3f mup\n",
                (long)kWidths[i - 1], (long)kWidths[i], rs, rm);
    EXPECT_NEAR(rs, std::sqrt(2.0), 0.1 * std::sqrt(2.0));
    EXPECT_NEAR(rm, 1 / std::sqrt(2.0), 0.1 / std::sqrt(2.0));
    EXPECT_LT(rm, 1.0);
  }
  // At the base width muP's head reads h unscaled: the same std as standard, to sampling noise.
  EXPECT_NEAR(mup[0] / standard[0], 1.0, 0.1);
}

// With a tied head the logit of the input token itself is h.e_t ~ 0.02 width / width_mult,
// constant under muP, so the std settles instead of falling; it still must not grow.
TEST(Parameterization, TiedLogitScaleAtInitDoesNotGrowUnderMup) {
  double first = 0;
  for (int64_t w : kWidths) {
    ModelConfig m = at_width(w, Parameterization::mup);
    m.tie_embeddings = true;
    const double s = logit_std(m);
    if (w == kWidths.front()) first = s;
    EXPECT_LT(s / first, 1.1) << "width " << w;
  }
}

TEST(Parameterization, MupHiddenInitVarianceIsInverseFanIn) {
  torch::manual_seed(0);
  GPT model(at_width(256, Parameterization::mup, 32));
  for (const auto& item : model->named_parameters()) {
    if (item.value().dim() < 2) continue;
    const bool hidden = item.key().rfind("layers.", 0) == 0;
    const double expected = hidden ? 0.02 / std::sqrt(256.0 / 32.0) : 0.02;
    EXPECT_NEAR(item.value().std().item<double>(), expected, 0.05 * expected) << item.key();
  }
}

// model.init_std is the base width's std: embeddings keep it, hidden matrices get it / sqrt(m).
TEST(Parameterization, MupInitStdIsTheBaseWidthsStd) {
  torch::manual_seed(0);
  ModelConfig m = at_width(128, Parameterization::mup, 32);
  m.init_std = 0.1;
  GPT model(m);
  for (const auto& item : model->named_parameters()) {
    if (item.value().dim() < 2) continue;
    const bool hidden = item.key().rfind("layers.", 0) == 0;
    const double expected = hidden ? 0.1 / std::sqrt(128.0 / 32.0) : 0.1;
    EXPECT_NEAR(item.value().std().item<double>(), expected, 0.05 * expected) << item.key();
  }
  m.parameterization = Parameterization::standard;
  m.base_width = 0;
  EXPECT_EQ(init_std(m, "layers.0.self_attn.q_proj.weight"), 0.1);
  EXPECT_EQ(init_std(m, "layers.1.mlp.down_proj.weight"), 0.1 / std::sqrt(2.0 * m.n_layer));
}

TEST(Parameterization, StandardGroupsAreDecayedMatricesAndUndecayedVectors) {
  OptimConfig o;
  GPT model(at_width(64, Parameterization::standard));
  auto groups = param_groups(model->config(), o, model->named_parameters());
  ASSERT_EQ(groups.size(), 2u);
  for (const auto& g : groups) {
    EXPECT_EQ(g.lr_scale, 1.0);
    EXPECT_EQ(g.eps, o.eps);
    for (const auto& p : g.params) EXPECT_EQ(p.dim() >= 2, g.weight_decay == o.weight_decay);
  }
}

// nanoGPT-mup's configure_optimizers (muP and CompleteP branches) and mup's MuAdam.
TEST(Parameterization, MupAndCompletepGroupsScaleLrDecayAndEps) {
  OptimConfig o;
  o.eps = 1e-8;
  o.weight_decay = 0.1;
  ModelConfig m = at_width(128, Parameterization::completep, 32);
  m.n_layer = 4;
  m.base_depth = 2;
  GPT model(m);
  size_t total = 0;
  for (const auto& g : param_groups(m, o, model->named_parameters())) {
    total += g.params.size();
    if (g.name == "hidden matrices") {
      EXPECT_DOUBLE_EQ(g.lr_scale, 32.0 / 128.0);
      EXPECT_DOUBLE_EQ(g.weight_decay, 0.1 * 4);
      EXPECT_DOUBLE_EQ(g.eps, 1e-8 / 4 / 2);  // / width_mult, / depth_mult^alpha
    } else if (g.name == "block norms") {
      EXPECT_DOUBLE_EQ(g.lr_scale, 1.0);
      EXPECT_DOUBLE_EQ(g.eps, 1e-8 / 4 / 2);
      EXPECT_EQ(g.weight_decay, 0.0);
    } else {  // embeddings, LM head, final norm
      EXPECT_DOUBLE_EQ(g.lr_scale, 1.0);
      EXPECT_DOUBLE_EQ(g.eps, 1e-8 / 4);
    }
  }
  EXPECT_EQ(total, model->parameters().size());
}

TEST(Parameterization, CompletepScalesEachResidualBranchByBaseDepthOverDepth) {
  ModelConfig mup = at_width(64, Parameterization::mup), cp = mup;
  cp.parameterization = Parameterization::completep;
  cp.n_layer = mup.n_layer = 4;
  cp.base_depth = 2;
  torch::manual_seed(2);
  Block a(mup), b(cp);
  torch::NoGradGuard no_grad;
  for (auto& p : a->named_parameters()) b->named_parameters()[p.key()].copy_(p.value());
  // With the MLP silenced, block(x) - x is the attention branch alone.
  a->mlp->down_proj->weight.zero_();
  b->mlp->down_proj->weight.zero_();
  auto x = torch::randn({2, 8, 64});
  auto [cos, sin] = rope_tables(8, 16, 10000.0);
  auto da = a->forward(x, cos, sin, {}) - x, db = b->forward(x, cos, sin, {}) - x;
  // (x + s a) - x recovers s a to the rounding of x (|x| ~ 4: ~ 5e-7).
  EXPECT_TRUE(torch::allclose(db, 0.5 * da, 1e-5, 1e-5))
      << (db - 0.5 * da).abs().max().item<double>() << " of " << da.abs().max().item<double>();
}

TEST(Parameterization, CompletepAtItsBaseDepthIsMup) {
  ModelConfig mup = at_width(64, Parameterization::mup), cp = mup;
  cp.parameterization = Parameterization::completep;
  cp.base_depth = cp.n_layer;
  torch::manual_seed(3);
  GPT a(mup);
  torch::manual_seed(3);
  GPT b(cp);
  auto idx = torch::randint(0, 256, {2, 16}, torch::kLong);
  EXPECT_TRUE(torch::equal(a->forward(idx), b->forward(idx)));
}

// muP attention: softmax(q.k / head_dim), written out with plain ops against the module.
TEST(Parameterization, MupAttentionDividesScoresByHeadDim) {
  const ModelConfig m = at_width(128, Parameterization::mup);
  const int64_t B = 2, T = 8, H = m.n_head, hd = m.head_dim();
  torch::manual_seed(1);
  Attention attn(m);
  torch::NoGradGuard no_grad;
  for (auto& p : attn->parameters()) p.normal_(0.0, 0.2);
  auto x = torch::randn({B, T, m.n_embd});
  auto [cos, sin] = rope_tables(T, hd, m.rope_theta);
  auto heads = [&](const torch::Tensor& w) {
    return apply_rope(torch::matmul(x, w.t()).view({B, T, H, hd}).transpose(1, 2), cos, sin);
  };
  auto q = heads(attn->q_proj->weight), k = heads(attn->k_proj->weight);
  auto v = torch::matmul(x, attn->v_proj->weight.t()).view({B, T, H, hd}).transpose(1, 2);
  auto attention = [&](double scale) {
    auto scores = torch::matmul(q, k.transpose(-2, -1)) * scale;
    auto mask = torch::ones({T, T}, torch::kBool).tril();
    auto att = torch::softmax(scores.masked_fill(~mask, -INFINITY), -1);
    return attn->o_proj(torch::matmul(att, v).transpose(1, 2).reshape({B, T, H * hd}));
  };
  auto got = attn->forward(x, cos, sin, {});
  // Outputs of size ~ 10 agree to fp32 rounding (~ 3e-6 measured); 1 / sqrt(head_dim) is far off.
  auto diff = [&](double scale) { return (got - attention(scale)).abs().max().item<double>(); };
  EXPECT_LT(diff(1.0 / hd), 1e-4);
  EXPECT_GT(diff(1.0 / std::sqrt(double(hd))), 1e-2);
  EXPECT_DOUBLE_EQ(forward_multipliers(m).logit_scale, 32.0 / 128.0);
}
