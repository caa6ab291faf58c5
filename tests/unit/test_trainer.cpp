// trainer/: schedules against their formulas, fused AdamW against LibTorch's own AdamW,
// checkpoints.
#include <gtest/gtest.h>

#include <cmath>

#include "trainer/checkpoint.h"
#include "trainer/fused_adamw.h"
#include "core/schedule.h"
#include "tests/support/datasets.h"

using namespace scalelab;

TEST(FusedAdamW, MatchesLibTorchAdamWOnTheSameGradients) {
  torch::manual_seed(0);
  std::vector<torch::Tensor> ours = {torch::randn({8, 4}), torch::randn({4})};
  std::vector<torch::Tensor> ref;
  for (auto& p : ours) {
    p.set_requires_grad(true);
    ref.push_back(p.detach().clone().set_requires_grad(true));
  }
  OptimConfig c;
  c.beta1 = 0.9, c.beta2 = 0.95, c.eps = 1e-8, c.weight_decay = 0.1;
  FusedAdamW fused(ours, c);
  // LibTorch's AdamW with two groups: decay for the matrix, none for the vector.
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(
      std::vector<torch::Tensor>{ref[0]},
      std::make_unique<torch::optim::AdamWOptions>(
          torch::optim::AdamWOptions(1e-2).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.1)));
  groups.emplace_back(
      std::vector<torch::Tensor>{ref[1]},
      std::make_unique<torch::optim::AdamWOptions>(
          torch::optim::AdamWOptions(1e-2).betas({0.9, 0.95}).eps(1e-8).weight_decay(0.0)));
  torch::optim::AdamW reference(groups);
  for (int step = 0; step < 5; ++step) {
    const double lr = 1e-2 * (step + 1);
    for (size_t i = 0; i < ours.size(); ++i) {
      auto g = torch::randn_like(ours[i]);
      ours[i].mutable_grad() = g.clone();
      ref[i].mutable_grad() = g.clone();
    }
    for (auto& group : reference.param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    fused.step(lr);
    reference.step();
    for (size_t i = 0; i < ours.size(); ++i)
      EXPECT_TRUE(torch::allclose(ours[i], ref[i], 1e-6, 1e-7))
          << "step " << step << " param " << i;
  }
}

// muP's groups (model/parameterization.h): each group's lr scale, eps and decay reach the kernel,
// as LibTorch's AdamW with those per-group options computes them.
TEST(FusedAdamW, EachGroupUsesItsOwnLrScaleEpsAndDecay) {
  torch::manual_seed(1);
  std::vector<torch::Tensor> ours = {torch::randn({8, 4}), torch::randn({4, 4}), torch::randn({4})};
  std::vector<torch::Tensor> ref;
  for (auto& p : ours) {
    p.set_requires_grad(true);
    ref.push_back(p.detach().clone().set_requires_grad(true));
  }
  OptimConfig c;
  const std::vector<ParamGroup> specs = {{"a", {ours[0]}, 1.0, 1e-3, 0.1},
                                         {"b", {ours[1]}, 0.25, 1e-5, 0.4},
                                         {"c", {ours[2]}, 0.5, 1e-2, 0.0}};
  FusedAdamW fused(ours, specs, c);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (size_t i = 0; i < specs.size(); ++i)
    groups.emplace_back(
        std::vector<torch::Tensor>{ref[i]},
        std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(1e-2)
                                                         .betas({c.beta1, c.beta2})
                                                         .eps(specs[i].eps)
                                                         .weight_decay(specs[i].weight_decay)));
  torch::optim::AdamW reference(groups);
  for (int step = 0; step < 4; ++step) {
    const double lr = 1e-2 * (step + 1);
    for (size_t i = 0; i < ours.size(); ++i) {
      auto g = torch::randn_like(ours[i]) * 1e-3;  // small: eps matters
      ours[i].mutable_grad() = g.clone();
      ref[i].mutable_grad() = g.clone();
    }
    for (size_t i = 0; i < specs.size(); ++i)
      static_cast<torch::optim::AdamWOptions&>(reference.param_groups()[i].options())
          .lr(lr * specs[i].lr_scale);
    fused.step(lr);
    reference.step();
    for (size_t i = 0; i < ours.size(); ++i)
      EXPECT_TRUE(torch::allclose(ours[i], ref[i], 1e-6, 1e-7))
          << "step " << step << " group " << i;
  }
}

TEST(FusedAdamW, ClipAndStepMatchesClipGradNormThenStep) {
  torch::manual_seed(1);
  std::vector<torch::Tensor> a = {torch::randn({8, 4}), torch::randn({4})}, b, c;
  for (auto& p : a) {
    p.set_requires_grad(true);
    b.push_back(p.detach().clone().set_requires_grad(true));
    c.push_back(p.detach().clone().set_requires_grad(true));
  }
  FusedAdamW clipped_first(a, OptimConfig{}), fused(b, OptimConfig{}), unclipped(c, OptimConfig{});
  for (int step = 0; step < 6; ++step) {
    // Gradients far above the limit on even steps, below it on odd ones.
    const double size = step % 2 == 0 ? 10.0 : 0.01;
    for (size_t i = 0; i < a.size(); ++i) {
      auto g = size * torch::randn_like(a[i]);
      a[i].mutable_grad() = g.clone();
      b[i].mutable_grad() = g.clone();
      c[i].mutable_grad() = g.clone();
    }
    const double expected = torch::nn::utils::clip_grad_norm_(a, 1.0);
    clipped_first.step(1e-2);
    EXPECT_NEAR(fused.clip_and_step(1e-2, 1.0), expected, 1e-6 * expected) << "step " << step;
    unclipped.clip_and_step(1e-2, 0.0);
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_TRUE(torch::allclose(a[i], b[i], 1e-6, 1e-7)) << "step " << step << " param " << i;
  }
  // The unclipped copy saw the same gradients unscaled: it moved differently on the large steps.
  EXPECT_FALSE(torch::allclose(a[0], c[0], 1e-6, 1e-7));
}

TEST(FusedAdamW, ClipAndStepWithoutALimitIsThePlainStep) {
  torch::manual_seed(2);
  std::vector<torch::Tensor> a = {torch::randn({8, 4}), torch::randn({4})}, b;
  for (auto& p : a) {
    p.set_requires_grad(true);
    b.push_back(p.detach().clone().set_requires_grad(true));
  }
  FusedAdamW plain(a, OptimConfig{}), fused(b, OptimConfig{});
  for (int step = 0; step < 3; ++step) {
    for (size_t i = 0; i < a.size(); ++i) {
      auto g = 10 * torch::randn_like(a[i]);
      a[i].mutable_grad() = g.clone();
      b[i].mutable_grad() = g.clone();
    }
    plain.step(1e-2);
    fused.clip_and_step(1e-2, 0.0);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));
  }
}

TEST(Checkpoint, RoundTripAndKeepNewest) {
  auto dir = test_util::temp_dir("ckpt");
  ModelConfig m;
  torch::manual_seed(1);
  GPT model(m);
  FusedAdamW opt(model->parameters(), OptimConfig{});
  for (auto& p : model->parameters()) p.mutable_grad() = torch::randn_like(p);
  opt.step(1e-3);
  TrainState s;
  for (int64_t step : {1, 2, 3}) {
    s.step = step;
    s.best_val_loss = 2.5;
    save_checkpoint(dir.string(), model, opt, s, "model: {}\n", 2);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "checkpoints" / "step_00000001.pt"));
  auto newest = newest_checkpoint(dir.string());
  ASSERT_TRUE(newest);
  EXPECT_NE(newest->find("step_00000003.pt"), std::string::npos);
  // An interrupted write leaves only a .tmp file, which is never taken for a checkpoint.
  std::ofstream(dir / "checkpoints" / "step_00000004.pt.tmp") << "partial";
  EXPECT_NE(newest_checkpoint(dir.string())->find("step_00000003.pt"), std::string::npos);

  torch::manual_seed(2);
  GPT other(m);
  FusedAdamW other_opt(other->parameters(), OptimConfig{});
  std::string yaml;
  TrainState loaded = load_checkpoint(*newest, other, &other_opt, &yaml);
  EXPECT_EQ(loaded.step, 3);
  EXPECT_DOUBLE_EQ(loaded.best_val_loss, 2.5);
  EXPECT_EQ(yaml, "model: {}\n");
  auto a = model->named_parameters(), b = other->named_parameters();
  for (auto& item : a) EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();

  ModelConfig wider = m;
  wider.n_embd = 64;
  GPT mismatch(wider);
  try {
    load_checkpoint(*newest, mismatch, nullptr);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has shape"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

// Checkpoints hold CPU tensors whatever device trained (so export, --init-from and resume work on
// a machine without that GPU), and carry a format version; the loader maps with an explicit device.
TEST(Checkpoint, EveryTensorOnDiskIsOnTheCpu) {
  auto dir = test_util::temp_dir("ckpt_cpu");
  ModelConfig m;
  torch::manual_seed(1);
  GPT model(m);
  const bool cuda = torch::cuda::is_available();
  if (cuda) model->to(torch::kCUDA);
  FusedAdamW opt(model->parameters(), OptimConfig{});
  for (auto& p : model->parameters()) p.mutable_grad() = torch::randn_like(p);
  opt.step(1e-3);
  TrainState s;
  s.step = 1;
  save_checkpoint(dir.string(), model, opt, s, "model: {}\n", 1);
  torch::serialize::InputArchive archive;
  archive.load_from(*newest_checkpoint(dir.string()));  // no device given: tensors as saved
  int n_tensors = 0;
  for (const auto& key : archive.keys()) {
    torch::Tensor t;
    if (!archive.try_read(key, t)) continue;
    EXPECT_TRUE(t.device().is_cpu()) << key << " was saved on " << t.device();
    ++n_tensors;
  }
  EXPECT_GT(n_tensors, int(model->parameters().size()) * 3);  // weights and AdamW state
  torch::Tensor version;
  ASSERT_TRUE(archive.try_read("format_version", version));
  EXPECT_EQ(version.item<int64_t>(), kCheckpointFormatVersion);
  GPT on_cpu(m);  // a CPU model loads it, whichever device wrote it
  FusedAdamW cpu_opt(on_cpu->parameters(), OptimConfig{});
  EXPECT_EQ(load_checkpoint(*newest_checkpoint(dir.string()), on_cpu, &cpu_opt).step, 1);
  // On a CPU-only machine the model was saved from the CPU; a GPU host saves it from CUDA above.
}
