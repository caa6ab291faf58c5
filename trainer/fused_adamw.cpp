#include "trainer/fused_adamw.h"

#include <cmath>

namespace scalelab {

namespace {

std::vector<ParamGroup> by_dimension(const std::vector<torch::Tensor>& params,
                                     const OptimConfig& config) {
  torch::OrderedDict<std::string, torch::Tensor> named;
  for (size_t i = 0; i < params.size(); ++i) named.insert(std::to_string(i), params[i]);
  return param_groups(ModelConfig{}, config, named);  // standard: matrices decayed, vectors not
}

}  // namespace

FusedAdamW::FusedAdamW(const std::vector<torch::Tensor>& params, const OptimConfig& config)
    : FusedAdamW(params, by_dimension(params, config), config) {}

FusedAdamW FusedAdamW::for_model(const torch::nn::Module& model, const ModelConfig& model_config,
                                 const OptimConfig& config) {
  const auto named = model.named_parameters();
  return FusedAdamW(named.values(), param_groups(model_config, config, named), config);
}

FusedAdamW::FusedAdamW(const std::vector<torch::Tensor>& params,
                       const std::vector<ParamGroup>& groups, const OptimConfig& config)
    : params_(params), config_(config) {
  size_t grouped = 0;
  for (const auto& spec : groups) {
    grouped += spec.params.size();
    Group g{{}, {}, {}, {}, spec.weight_decay, spec.lr_scale, spec.eps};
    for (const auto& p : spec.params) {
      g.params.push_back(p);
      g.exp_avgs.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      g.exp_avg_sqs.push_back(torch::zeros_like(p, torch::MemoryFormat::Preserve));
      // Step counts live on the parameter's device so the update never syncs with the host.
      g.steps.push_back(torch::zeros({}, p.options().dtype(torch::kFloat32)));
    }
    if (!g.params.empty()) groups_.push_back(std::move(g));
  }
  TORCH_CHECK(grouped == params_.size(), "FusedAdamW: the groups hold ", grouped,
              " parameters, the model ", params_.size());
}

void FusedAdamW::step(double lr) {
  update(lr, std::nullopt);
}

double FusedAdamW::clip_and_step(double lr, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params_) {
    TORCH_CHECK(p.grad().defined(), "FusedAdamW: a parameter has no gradient");
    grads.push_back(p.grad());
  }
  const auto norm = at::linalg_vector_norm(torch::stack(at::_foreach_norm(grads, 2)), 2);
  // The kernel divides each gradient by grad_scale, 1 / clip_grad_norm_'s factor: exactly 1 (the
  // gradients untouched) unless the norm exceeds max_norm. Computed on the device: no sync.
  std::optional<torch::Tensor> grad_scale;
  if (max_norm > 0 && std::isfinite(max_norm))
    grad_scale = ((norm + 1e-6) / max_norm).clamp_min(1.0).to(torch::kFloat32);
  update(lr, grad_scale);
  return norm.item<double>();  // read once the update is queued
}

void FusedAdamW::update(double lr, const std::optional<torch::Tensor>& grad_scale) {
  torch::NoGradGuard no_grad;
  for (auto& g : groups_) {
    std::vector<torch::Tensor> grads;
    grads.reserve(g.params.size());
    for (auto& p : g.params) {
      TORCH_CHECK(p.grad().defined(), "FusedAdamW: a parameter has no gradient");
      grads.push_back(p.grad());
    }
    torch::_foreach_add_(g.steps, 1.0);  // the fused kernel reads, not increments, the step count
    at::_fused_adamw_(g.params, grads, g.exp_avgs, g.exp_avg_sqs, /*max_exp_avg_sqs=*/{}, g.steps,
                      lr * g.lr_scale, config_.beta1, config_.beta2, g.weight_decay, g.eps,
                      /*amsgrad=*/false, /*maximize=*/false, grad_scale);
  }
}

void FusedAdamW::zero_grad() {
  for (auto& p : params_)
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
}

void FusedAdamW::save(torch::serialize::OutputArchive& archive) const {
  for (size_t gi = 0; gi < groups_.size(); ++gi)
    for (size_t i = 0; i < groups_[gi].params.size(); ++i) {
      auto key = "optim/" + std::to_string(gi) + "/" + std::to_string(i) + "/";
      // CPU tensors on disk: a checkpoint written on a GPU loads on any machine.
      archive.write(key + "exp_avg", groups_[gi].exp_avgs[i].to(torch::kCPU));
      archive.write(key + "exp_avg_sq", groups_[gi].exp_avg_sqs[i].to(torch::kCPU));
      archive.write(key + "step", groups_[gi].steps[i].to(torch::kCPU));
    }
}

void FusedAdamW::load(torch::serialize::InputArchive& archive) {
  torch::NoGradGuard no_grad;
  for (size_t gi = 0; gi < groups_.size(); ++gi)
    for (size_t i = 0; i < groups_[gi].params.size(); ++i) {
      auto key = "optim/" + std::to_string(gi) + "/" + std::to_string(i) + "/";
      torch::Tensor t;
      archive.read(key + "exp_avg", t);
      groups_[gi].exp_avgs[i].copy_(t);
      archive.read(key + "exp_avg_sq", t);
      groups_[gi].exp_avg_sqs[i].copy_(t);
      archive.read(key + "step", t);
      groups_[gi].steps[i].copy_(t);
    }
}

}  // namespace scalelab
