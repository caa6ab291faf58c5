// model/counts: parameter and FLOP counts against hand-worked examples and the papers' formulas.
#include <gtest/gtest.h>

#include "core/counts.h"
#include "core/hardware.h"

using namespace scalelab;

namespace {
// vocab 100, T 8, 2 layers, 4 heads of 4 dims, 2 kv heads, n_embd 16, SwiGLU hidden 48, untied.
ModelConfig worked_example() {
  ModelConfig m;
  m.vocab_size = 100;
  m.block_size = 8;
  m.n_layer = 2;
  m.n_head = 4;
  m.n_kv_head = 2;
  m.n_embd = 16;
  m.tie_embeddings = false;
  return m;
}
}  // namespace

TEST(Counts, ParametersByHand) {
  ParamCounts p = count_params(worked_example());
  EXPECT_EQ(worked_example().ffn_dim(), 48);  // 8/3 * 16 = 42.7 -> rounded up to a multiple of 16
  EXPECT_EQ(p.token_embedding, 1600);         // 100 x 16
  EXPECT_EQ(p.lm_head, 1600);
  EXPECT_EQ(p.attention, 1536);  // 2 x (16x16 + 2 x 16x8 + 16x16)
  EXPECT_EQ(p.mlp, 4608);        // 2 x 3 x 16 x 48
  EXPECT_EQ(p.norms, 80);        // (2 x 2 + 1) x 16
  EXPECT_EQ(p.total, 9424);
  EXPECT_EQ(p.embedding, 3200);
  EXPECT_EQ(p.non_embedding, 6224);
}

TEST(Counts, TiedLearnedLayerNormGelu) {
  ModelConfig m = worked_example();
  m.tie_embeddings = true;
  m.pos = PosEncoding::learned;
  m.norm = Norm::layernorm;
  m.mlp = Mlp::gelu;  // hidden 4 x 16 = 64, two matrices
  ParamCounts p = count_params(m);
  EXPECT_EQ(p.lm_head, 0);
  EXPECT_EQ(p.position_embedding, 128);  // 8 x 16
  EXPECT_EQ(p.norms, 160);               // weight + bias
  EXPECT_EQ(p.mlp, 4096);                // 2 x 2 x 16 x 64
  EXPECT_EQ(p.embedding, 1728);
  EXPECT_EQ(p.total, 1600 + 128 + 1536 + 4096 + 160);
}

TEST(Counts, ChinchillaAppendixFByHand) {
  ChinchillaForward f = chinchilla_forward_flops(worked_example());
  EXPECT_DOUBLE_EQ(f.embeddings, 25600);  // 2 x 8 x 100 x 16
  EXPECT_DOUBLE_EQ(f.qkv, 16384);         // 2 layers x 2 x 8 x 16 x (16 + 2 x 8)
  EXPECT_DOUBLE_EQ(f.qk_logits, 4096);    // 2 x 2 x 8 x 8 x 16
  EXPECT_DOUBLE_EQ(f.softmax, 1536);      // 2 x 3 x 4 x 8 x 8
  EXPECT_DOUBLE_EQ(f.softmax_v, 4096);
  EXPECT_DOUBLE_EQ(f.out_proj, 8192);  // 2 x 2 x 8 x 16 x 16
  EXPECT_DOUBLE_EQ(f.dense, 73728);    // 2 x 2 x 8 x 3 x 16 x 48
  EXPECT_DOUBLE_EQ(f.logits, 25600);
  EXPECT_DOUBLE_EQ(f.total(), 159232);
  EXPECT_DOUBLE_EQ(training_flops_per_token(worked_example(), FlopConvention::chinchilla),
                   3 * 159232 / 8.0);
}

TEST(Counts, ChinchillaMatchesThePapersOwnTermsForMhaGelu) {
  // The paper's model: multi-head attention and a two-matrix dense block.
  ModelConfig m;
  m.vocab_size = 32000, m.block_size = 2048, m.n_layer = 10, m.n_head = 10, m.n_embd = 640;
  m.mlp = Mlp::gelu, m.ffn_hidden = 2560;
  const double T = 2048, V = 32000, d = 640, key_size = 64, H = 10, ffw = 2560, L = 10;
  const double attention = 2 * 3 * T * d * (key_size * H) + 2 * T * T * (key_size * H) +
                           3 * H * T * T + 2 * T * T * (key_size * H) + 2 * T * (key_size * H) * d;
  const double dense = 2 * T * (d * ffw + d * ffw);
  const double forward = 2 * T * V * d + L * (attention + dense) + 2 * T * d * V;
  EXPECT_DOUBLE_EQ(chinchilla_forward_flops(m).total(), forward);
}

TEST(Counts, LitgptEstimatorByHand) {
  ModelConfig m = worked_example();
  // flops_per_param: 2 x 9424 x 8 + 2 layers x 2 x 2 x 16 x 8^2 = 150784 + 8192 = 158976 for the
  // trainable parameters; litgpt adds flops_per_param(n_frozen = 0) = 8192 (the attention term)
  // for the frozen ones too, so training counts 3 x 158976 + 2 x 8192.
  EXPECT_DOUBLE_EQ(litgpt_flops_per_sequence(m, 9424, 0, true), 3 * 158976.0 + 2 * 8192.0);
  EXPECT_DOUBLE_EQ(litgpt_flops_per_sequence(m, 9424, 0, false), 158976.0 + 8192.0);
  EXPECT_DOUBLE_EQ(litgpt_flops_per_sequence(m, 0, 9424, true), 3 * 8192.0 + 2 * 158976.0);
  EXPECT_DOUBLE_EQ(training_flops_per_token(m, FlopConvention::litgpt),
                   (3 * 158976.0 + 2 * 8192.0) / 8);
}

TEST(Counts, SixNAndPalm) {
  ModelConfig m = worked_example();
  EXPECT_DOUBLE_EQ(training_flops_per_token(m, FlopConvention::six_n), 6 * 6224.0);
  EXPECT_DOUBLE_EQ(training_flops_per_token(m, FlopConvention::six_n_total), 6 * 9424.0);
  // 6N + 12 L H Q T = 37344 + 12 x 2 x 4 x 4 x 8
  EXPECT_DOUBLE_EQ(training_flops_per_token(m, FlopConvention::palm), 37344.0 + 3072.0);
  EXPECT_EQ(all_training_flops(m).size(), 5u);
}

TEST(Counts, Gpt2SmallHasItsKnownSize) {
  // GPT-2 small with GELU, learned positions, layernorm with biases and no attention/MLP biases:
  // 124.4M with biases in the published model; without linear biases the count is exact below.
  ModelConfig m;
  m.vocab_size = 50257, m.block_size = 1024, m.n_layer = 12, m.n_head = 12, m.n_embd = 768;
  m.mlp = Mlp::gelu, m.pos = PosEncoding::learned, m.norm = Norm::layernorm;
  ParamCounts p = count_params(m);
  // 50257x768 + 1024x768 + 12 x (4 x 768^2 + 2 x 768 x 3072 + 4 x 768) + 2 x 768
  EXPECT_EQ(p.total, 38597376 + 786432 + 12 * (2359296 + 4718592 + 3072) + 1536);
  EXPECT_NEAR(p.non_embedding / 1e6, 85.0, 0.1);  // Kaplan's N for GPT-2 small, ~85M
}

TEST(Hardware, TableLookups) {
  auto h100 = gpu_for_device_name("NVIDIA H100 80GB HBM3");
  ASSERT_TRUE(h100);
  EXPECT_STREQ(h100->key, "h100");
  EXPECT_DOUBLE_EQ(peak_flops(*h100, "bf16"), 989e12);
  EXPECT_STREQ(gpu_for_device_name("NVIDIA H100 PCIe")->key, "h100-pcie");
  EXPECT_DOUBLE_EQ(peak_flops(*find_gpu("a100"), "fp16", true), 624e12);
  EXPECT_FALSE(gpu_for_device_name("Intel Xeon"));
  EXPECT_EQ(peak_flops(*find_gpu("a100"), "fp8"), 0);
}
