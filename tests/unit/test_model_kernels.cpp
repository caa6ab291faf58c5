// The fused kernels of model/kernels/ against the plain ATen composition they replace (the same
// function in an UnfusedScope): outputs and the gradients of every input, for a random upstream
// gradient, in double (to 1e-10) and float; in double also against central finite differences
// (gradcheck's test, along a random direction). Then the whole model: loss and every parameter's
// gradient, fused against unfused, for the architecture variants.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

#include "model/gpt.h"
#include "model/kernels/attention.h"
#include "model/kernels/cpu_loops.h"
#include "model/kernels/cross_entropy.h"
#include "model/kernels/fused.h"
#include "model/kernels/rms_norm.h"
#include "model/kernels/rope.h"
#include "model/kernels/swiglu.h"

using namespace scalelab;
using kernels::UnfusedScope;
using Fn = std::function<std::vector<torch::Tensor>(const std::vector<torch::Tensor>&)>;

namespace {

struct Tolerance {
  double rtol, atol;
};
Tolerance tolerance_for(torch::Dtype dtype) {
  return dtype == torch::kDouble ? Tolerance{1e-10, 1e-12} : Tolerance{2e-5, 2e-6};
}

// Fresh leaves with requires_grad, copies of `inputs` (integer tensors pass through untouched).
std::vector<torch::Tensor> leaves(const std::vector<torch::Tensor>& inputs) {
  std::vector<torch::Tensor> out;
  for (const auto& t : inputs)
    out.push_back(t.is_floating_point() ? t.detach().clone().requires_grad_(true) : t);
  return out;
}

// Outputs and input gradients of f for upstream gradients `upstream` (one per output).
std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> run(
    const Fn& f, const std::vector<torch::Tensor>& inputs,
    const std::vector<torch::Tensor>& upstream) {
  auto in = leaves(inputs);
  auto outs = f(in);
  torch::Tensor total = torch::zeros({}, outs[0].options());
  for (size_t i = 0; i < outs.size(); ++i) total = total + (outs[i] * upstream[i]).sum();
  total.backward();
  std::vector<torch::Tensor> grads;
  for (const auto& t : in)
    if (t.is_floating_point()) grads.push_back(t.grad());
  for (auto& o : outs) o = o.detach();
  return {outs, grads};
}

// f fused against f in an UnfusedScope: every output and every input gradient.
void expect_matches_unfused(const Fn& f, const std::vector<torch::Tensor>& inputs) {
  std::vector<torch::Tensor> upstream;
  {
    torch::NoGradGuard no_grad;
    for (const auto& o : f(leaves(inputs))) upstream.push_back(torch::randn_like(o));
  }
  const auto fused = run(f, inputs, upstream);
  std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> plain;
  {
    UnfusedScope unfused;
    plain = run(f, inputs, upstream);
  }
  const auto tol = tolerance_for(inputs[0].scalar_type());
  for (size_t i = 0; i < fused.first.size(); ++i)
    EXPECT_TRUE(torch::allclose(fused.first[i], plain.first[i], tol.rtol, tol.atol))
        << "output " << i << ": max difference "
        << (fused.first[i] - plain.first[i]).abs().max().item<double>();
  ASSERT_EQ(fused.second.size(), plain.second.size());
  for (size_t i = 0; i < fused.second.size(); ++i) {
    ASSERT_TRUE(fused.second[i].defined()) << "input " << i << " got no gradient";
    EXPECT_TRUE(torch::allclose(fused.second[i], plain.second[i], tol.rtol, tol.atol))
        << "gradient of input " << i << ": max difference "
        << (fused.second[i] - plain.second[i]).abs().max().item<double>();
  }
}

// gradcheck's finite-difference test along one random direction u of all floating inputs, in
// double: (L(x + eps u) - L(x - eps u)) / 2 eps against <dL/dx, u>, L = sum(outputs * upstream).
void expect_finite_differences_agree(const Fn& f, const std::vector<torch::Tensor>& inputs) {
  std::vector<torch::Tensor> upstream, direction;
  {
    torch::NoGradGuard no_grad;
    for (const auto& o : f(leaves(inputs))) upstream.push_back(torch::randn_like(o));
    for (const auto& t : inputs)
      direction.push_back(t.is_floating_point() ? torch::randn_like(t) : torch::Tensor());
  }
  const auto [outs, grads] = run(f, inputs, upstream);
  double analytic = 0;
  for (size_t i = 0, g = 0; i < inputs.size(); ++i)
    if (inputs[i].is_floating_point()) analytic += (grads[g++] * direction[i]).sum().item<double>();
  auto loss_at = [&](double eps) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> moved;
    for (size_t i = 0; i < inputs.size(); ++i)
      moved.push_back(inputs[i].is_floating_point() ? inputs[i] + eps * direction[i] : inputs[i]);
    double total = 0;
    const auto o = f(moved);
    for (size_t i = 0; i < o.size(); ++i) total += (o[i] * upstream[i]).sum().item<double>();
    return total;
  };
  const double eps = 1e-6, numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps);
  EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric)));
}

void check_op(const Fn& f, const std::function<std::vector<torch::Tensor>(torch::Dtype)>& make) {
  for (auto dtype : {torch::kDouble, torch::kFloat}) {
    SCOPED_TRACE(dtype == torch::kDouble ? "double" : "float");
    expect_matches_unfused(f, make(dtype));
  }
  expect_finite_differences_agree(f, make(torch::kDouble));
}

torch::TensorOptions of(torch::Dtype dtype) {
  return torch::TensorOptions().dtype(dtype);
}

}  // namespace

TEST(Kernels, CpuLoopsFollowAtensInstructionSet) {
  const std::string isa = kernels::cpu_loops_isa();
  EXPECT_TRUE(isa == "AVX512" || isa == "AVX2" || isa == "DEFAULT") << isa;
}

TEST(Kernels, RmsNormMatchesAtenAndFiniteDifferences) {
  torch::manual_seed(1);
  for (int64_t dim : {16, 20, 7, 128}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    check_op(
        [](const std::vector<torch::Tensor>& in) -> std::vector<torch::Tensor> {
          return {kernels::rms_norm(in[0], in[1], 1e-5)};
        },
        [dim](torch::Dtype d) -> std::vector<torch::Tensor> {
          // More rows than one chunk of the backward's weight-gradient partial sums.
          return {torch::randn({3, 45, dim}, of(d)), 1 + 0.1 * torch::randn({dim}, of(d))};
        });
  }
}

TEST(Kernels, SwiGluMatchesAtenAndFiniteDifferences) {
  torch::manual_seed(2);
  for (int64_t hidden : {48, 13, 1}) {
    SCOPED_TRACE("hidden " + std::to_string(hidden));
    check_op(
        [](const std::vector<torch::Tensor>& in) -> std::vector<torch::Tensor> {
          return {kernels::swiglu(in[0])};
        },
        [hidden](torch::Dtype d) -> std::vector<torch::Tensor> {
          return {3 * torch::randn({2, 37, 2 * hidden}, of(d))};
        });
  }
}

TEST(Kernels, SplitHeadsWithRopeMatchesAtenAndFiniteDifferences) {
  torch::manual_seed(3);
  struct Case {
    int64_t n_head, n_kv_head, head_dim;
    bool rope;
  };
  for (const Case c :
       {Case{2, 2, 8, true}, Case{4, 2, 6, true}, Case{3, 3, 4, false}, Case{4, 1, 32, true}}) {
    SCOPED_TRACE(::testing::Message() << "H " << c.n_head << " Hkv " << c.n_kv_head << " hd "
                                      << c.head_dim << (c.rope ? " rope" : " no rope"));
    const int64_t B = 2, T = 70;
    const auto [cos, sin] = rope_tables(T, c.head_dim, 10000.0);
    check_op(
        [&](const std::vector<torch::Tensor>& in) -> std::vector<torch::Tensor> {
          auto [q, k, v] = kernels::split_heads(in[0], c.rope ? cos : torch::Tensor(),
                                                c.rope ? sin : torch::Tensor(), c.n_head,
                                                c.n_kv_head, c.head_dim);
          return {q, k, v};
        },
        [&](torch::Dtype d) -> std::vector<torch::Tensor> {
          return {torch::randn({B, T, (c.n_head + 2 * c.n_kv_head) * c.head_dim}, of(d))};
        });
  }
}

TEST(Kernels, CausalAttentionMatchesSdpaAndFiniteDifferences) {
  torch::manual_seed(4);
  for (int64_t head_dim : {8, 32}) {
    for (int64_t T : {128, 37}) {
      SCOPED_TRACE("hd " + std::to_string(head_dim) + " T " + std::to_string(T));
      check_op(
          [](const std::vector<torch::Tensor>& in) -> std::vector<torch::Tensor> {
            return {kernels::causal_attention(in[0], in[1], in[2], torch::Tensor())};
          },
          [&](torch::Dtype d) -> std::vector<torch::Tensor> {
            return {torch::randn({2, 3, T, head_dim}, of(d)),
                    torch::randn({2, 3, T, head_dim}, of(d)),
                    torch::randn({2, 3, T, head_dim}, of(d))};
          });
    }
  }
}

TEST(Kernels, LinearCrossEntropyMatchesAtenAndFiniteDifferences) {
  torch::manual_seed(5);
  for (int64_t vocab : {257, 16, 320}) {
    SCOPED_TRACE("vocab " + std::to_string(vocab));
    check_op(
        [](const std::vector<torch::Tensor>& in) -> std::vector<torch::Tensor> {
          return {kernels::linear_cross_entropy(in[0], in[1], in[2])};
        },
        [vocab](torch::Dtype d) -> std::vector<torch::Tensor> {
          return {torch::randn({150, 24}, of(d)), torch::randn({vocab, 24}, of(d)),
                  torch::randint(vocab, {150}, torch::kInt64)};
        });
  }
}

TEST(Kernels, CrossEntropyRefusesATargetOutsideTheVocabulary) {
  auto x = torch::randn({4, 8}), w = torch::randn({10, 8});
  auto targets = torch::tensor({1, 2, 10, 3}, torch::kInt64);
  try {
    kernels::linear_cross_entropy(x, w, targets);
    FAIL() << "no error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("target 10 is out of bounds"), std::string::npos)
        << e.what();
  }
}

TEST(Kernels, OpsOutsideTheFusedPathTakeTheAtenComposition) {
  // Heads above kMaxFusedHeadDim and an ALiBi bias go to scaled_dot_product_attention: the same
  // numbers as in an UnfusedScope, bit for bit.
  torch::manual_seed(6);
  const int64_t hd = kernels::kMaxFusedHeadDim * 2;
  auto q = torch::randn({2, 2, 16, hd}), k = torch::randn_like(q), v = torch::randn_like(q);
  auto alibi = torch::randn({1, 2, 16, 16}).tril();
  auto big = kernels::causal_attention(q, k, v, torch::Tensor());
  auto small = q.narrow(3, 0, 8), with_bias = kernels::causal_attention(small, small, small, alibi);
  UnfusedScope unfused;
  EXPECT_TRUE(torch::equal(big, kernels::causal_attention(q, k, v, torch::Tensor())));
  EXPECT_TRUE(torch::equal(with_bias, kernels::causal_attention(small, small, small, alibi)));
}

namespace {

ModelConfig small_model() {
  ModelConfig m;
  m.vocab_size = 61;
  m.block_size = 24;
  m.n_layer = 2;
  m.n_head = 2;
  m.n_embd = 16;
  return m;
}

// Loss and every parameter's gradient of one model, fused and unfused, in dtype.
void expect_model_matches_unfused(const ModelConfig& m, torch::Dtype dtype, double rtol,
                                  double atol) {
  torch::manual_seed(7);
  GPT model(m);
  model->to(dtype);
  auto rows = torch::randint(m.vocab_size, {3, m.block_size + 1}, torch::kInt64);
  auto idx = rows.narrow(1, 0, m.block_size), targets = rows.narrow(1, 1, m.block_size);
  auto loss_and_grads = [&] {
    model->zero_grad();
    auto loss = model->loss(idx, targets);
    loss.backward();
    std::vector<torch::Tensor> grads;
    for (const auto& p : model->parameters()) grads.push_back(p.grad().clone());
    return std::make_pair(loss.item<double>(), grads);
  };
  const auto fused = loss_and_grads();
  std::pair<double, std::vector<torch::Tensor>> plain;
  {
    UnfusedScope unfused;
    plain = loss_and_grads();
  }
  EXPECT_NEAR(fused.first, plain.first, rtol * std::abs(plain.first));
  const auto names = model->named_parameters().keys();
  for (size_t i = 0; i < names.size(); ++i)
    EXPECT_TRUE(torch::allclose(fused.second[i], plain.second[i], rtol, atol))
        << names[i] << ": max difference "
        << (fused.second[i] - plain.second[i]).abs().max().item<double>();
}

}  // namespace

TEST(Kernels, WholeModelLossAndGradientsMatchTheUnfusedModel) {
  std::vector<std::pair<std::string, std::function<void(ModelConfig&)>>> variants = {
      {"default (rope, swiglu, rmsnorm, tied)", [](ModelConfig&) {}},
      {"grouped-query", [](ModelConfig& m) { m.n_head = 4, m.n_kv_head = 2; }},
      {"learned positions", [](ModelConfig& m) { m.pos = PosEncoding::learned; }},
      {"alibi", [](ModelConfig& m) { m.pos = PosEncoding::alibi; }},
      {"layernorm, gelu", [](ModelConfig& m) { m.norm = Norm::layernorm, m.mlp = Mlp::gelu; }},
      {"untied, padded vocabulary",
       [](ModelConfig& m) { m.tie_embeddings = false, m.pad_vocab_multiple = 64; }},
  };
  for (const auto& [name, change] : variants) {
    SCOPED_TRACE(name);
    ModelConfig m = small_model();
    change(m);
    expect_model_matches_unfused(m, torch::kDouble, 1e-9, 1e-12);
    expect_model_matches_unfused(m, torch::kFloat, 1e-4, 1e-6);
  }
}
