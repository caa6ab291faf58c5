// model/gpt: shapes, causality, rotary's relative-position property, GQA, ablations, overfitting.
#include <gtest/gtest.h>

#include "core/counts.h"
#include "model/gpt.h"

using namespace scalelab;

namespace {
ModelConfig small() {
  ModelConfig m;
  m.vocab_size = 50;
  m.block_size = 16;
  m.n_layer = 2;
  m.n_head = 4;
  m.n_embd = 32;
  return m;
}
int64_t numel(GPT& model) {
  int64_t n = 0;
  for (auto& p : model->parameters()) n += p.numel();
  return n;
}
}  // namespace

TEST(Model, OutputShapeAndPaddedVocab) {
  ModelConfig m = small();
  m.pad_vocab_multiple = 64;
  torch::manual_seed(0);
  GPT model(m);
  auto logits = model->forward(torch::randint(50, {3, 10}));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 10, 64}));
}

TEST(Model, ParameterCountEqualsTheClosedForm) {
  for (auto variant : {0, 1, 2, 3}) {
    ModelConfig m = small();
    m.n_kv_head = variant == 1 ? 2 : 0;
    m.tie_embeddings = variant != 2;
    if (variant == 3) m.norm = Norm::layernorm, m.mlp = Mlp::gelu, m.pos = PosEncoding::learned;
    GPT model(m);
    EXPECT_EQ(numel(model), count_params(m).total) << "variant " << variant;
  }
}

TEST(Model, CausalEveryVariant) {
  for (auto pos : {PosEncoding::rope, PosEncoding::learned, PosEncoding::alibi}) {
    ModelConfig m = small();
    m.pos = pos;
    torch::manual_seed(1);
    GPT model(m);
    model->eval();
    auto idx = torch::randint(50, {1, 12});
    auto changed = idx.clone();
    changed[0][7] = (idx[0][7].item<int64_t>() + 1) % 50;
    auto a = model->forward(idx), b = model->forward(changed);
    EXPECT_TRUE(torch::allclose(a.narrow(1, 0, 7), b.narrow(1, 0, 7), 0, 1e-6)) << to_string(pos);
    EXPECT_FALSE(torch::allclose(a.narrow(1, 7, 1), b.narrow(1, 7, 1), 0, 1e-6)) << to_string(pos);
  }
}

TEST(Model, RotaryDotProductDependsOnlyOnRelativePosition) {
  const int64_t hd = 8;
  auto [cos, sin] = rope_tables(32, hd, 10000.0);
  torch::manual_seed(2);
  auto q = torch::randn({hd}), k = torch::randn({hd});
  auto at = [&](const torch::Tensor& v, int64_t pos) {
    auto x = v.view({1, 1, 1, hd}).expand({1, 1, 32, hd}).contiguous();
    return apply_rope(x, cos, sin)[0][0][pos];
  };
  auto dot = [&](int64_t i, int64_t j) { return (at(q, i) * at(k, j)).sum().item<double>(); };
  EXPECT_NEAR(dot(5, 2), dot(20, 17), 1e-5);
  EXPECT_NEAR(dot(9, 9), dot(0, 0), 1e-5);
  EXPECT_GT(std::abs(dot(5, 2) - dot(5, 4)), 1e-4);  // and it does depend on the offset
  // Rotation preserves norms.
  EXPECT_NEAR(at(q, 13).norm().item<double>(), q.norm().item<double>(), 1e-5);
}

TEST(Model, GroupedQueryAttentionEqualsMultiHeadWithSharedKeys) {
  // A GQA model (1 kv head per 2 query heads) must equal a multi-head model whose k, v projections
  // repeat each kv head's weights for its query heads.
  ModelConfig gqa_config = small();
  gqa_config.n_kv_head = 2;
  ModelConfig mha_config = small();
  torch::manual_seed(3);
  GPT gqa(gqa_config), mha(mha_config);
  {
    torch::NoGradGuard no_grad;
    auto src = gqa->named_parameters(), dst = mha->named_parameters();
    for (auto& item : src) {
      auto target = dst[item.key()];
      const auto& name = item.key();
      if (name.find("k_proj") != std::string::npos || name.find("v_proj") != std::string::npos) {
        auto w = item.value().view({2, 8, 32});  // (kv heads, head_dim, n_embd)
        target.copy_(w.repeat_interleave(2, 0).reshape({32, 32}));
      } else {
        target.copy_(item.value());
      }
    }
  }
  auto idx = torch::randint(50, {2, 16});
  EXPECT_TRUE(torch::allclose(gqa->forward(idx), mha->forward(idx), 1e-5, 1e-5));
}

TEST(Model, KvHeadsEqualToHeadsIsPlainMultiHead) {
  ModelConfig a = small(), b = small();
  b.n_kv_head = b.n_head;
  torch::manual_seed(4);
  GPT ma(a);
  torch::manual_seed(4);
  GPT mb(b);
  auto idx = torch::randint(50, {2, 16});
  EXPECT_TRUE(torch::equal(ma->forward(idx), mb->forward(idx)));
}

TEST(Model, AlibiSlopesFollowThePaper) {
  auto s = alibi_slopes(8);  // 1/2, 1/4, ..., 1/256
  EXPECT_DOUBLE_EQ(s[0], 0.5);
  EXPECT_DOUBLE_EQ(s[7], 1.0 / 256);
  auto s6 =
      alibi_slopes(6);  // 4 of the power-of-two 4-head set, then every other of the 8-head set
  ASSERT_EQ(s6.size(), 6u);
  EXPECT_DOUBLE_EQ(s6[0], 0.25);
  EXPECT_DOUBLE_EQ(s6[4], std::pow(2.0, -1.0));
  EXPECT_DOUBLE_EQ(s6[5], std::pow(2.0, -3.0));
}

TEST(Model, AblationsTrainAndOverfitOneBatch) {
  struct Variant {
    Norm norm;
    Mlp mlp;
    PosEncoding pos;
    int64_t n_kv_head;
  };
  for (auto v : {Variant{Norm::rmsnorm, Mlp::swiglu, PosEncoding::rope, 2},
                 Variant{Norm::layernorm, Mlp::gelu, PosEncoding::learned, 0},
                 Variant{Norm::rmsnorm, Mlp::swiglu, PosEncoding::alibi, 0}}) {
    ModelConfig m = small();
    m.norm = v.norm, m.mlp = v.mlp, m.pos = v.pos, m.n_kv_head = v.n_kv_head;
    torch::manual_seed(5);
    GPT model(m);
    auto batch = torch::randint(50, {4, 17});
    auto x = batch.narrow(1, 0, 16), y = batch.narrow(1, 1, 16);
    torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0));
    double first = 0, last = 0;
    for (int step = 0; step < 150; ++step) {
      opt.zero_grad();
      auto loss = model->loss(x, y);
      loss.backward();
      opt.step();
      (step == 0 ? first : last) = loss.item<double>();
    }
    EXPECT_NEAR(first, std::log(50.0), 0.5);  // starts near uniform
    EXPECT_LT(last, 0.05) << to_string(v.norm) << " " << to_string(v.mlp) << " "
                          << to_string(v.pos);
  }
}

TEST(Model, LongerThanBlockSizeIsAClearError) {
  GPT model(small());
  try {
    model->forward(torch::randint(50, {1, 17}));
    FAIL();
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds model.block_size"), std::string::npos);
  }
}

TEST(Model, DebugPresetOverfitsOneBatch) {
  ModelConfig m = load_config(SCALELAB_SOURCE_DIR "/configs/debug.yaml").model;
  torch::manual_seed(6);
  GPT model(m);
  auto batch = torch::randint(m.vocab_size, {4, m.block_size + 1});
  auto x = batch.narrow(1, 0, m.block_size), y = batch.narrow(1, 1, m.block_size);
  torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(2e-2).weight_decay(0));
  double loss = 0;
  for (int step = 0; step < 300; ++step) {
    opt.zero_grad();
    auto l = model->loss(x, y);
    l.backward();
    opt.step();
    loss = l.item<double>();
  }
  EXPECT_LT(loss, 0.1);  // from ln(257) = 5.5
}
