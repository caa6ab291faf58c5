#include "model/kernels/cross_entropy.h"

#include "model/kernels/cpu_loops.h"
#include "model/kernels/fused.h"

namespace scalelab::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;
constexpr int64_t kRowsPerChunk = 32;

class LinearCrossEntropyFunction : public torch::autograd::Function<LinearCrossEntropyFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& weight, const torch::Tensor& targets_in) {
    RECORD_FUNCTION("scalelab::linear_cross_entropy", std::vector<c10::IValue>());
    const auto x = x_in.contiguous();
    const auto targets = targets_in.contiguous();
    const int64_t n = x.size(0), vocab = weight.size(0);
    const int64_t* t = targets.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      TORCH_CHECK(t[i] >= 0 && t[i] < vocab, "cross-entropy: target ", t[i],
                  " is out of bounds for a vocabulary of ", vocab);
    auto grad_logits = torch::mm(x, weight.t());  // the logits, then their gradient in place
    auto losses = torch::empty({n}, x.options());
    by_dtype(x, [&](auto zero) {
      using T = decltype(zero);
      T *g = grad_logits.data_ptr<T>(), *l = losses.data_ptr<T>();
      for_each_chunk(n, kRowsPerChunk, [&](int64_t begin, int64_t end) {
        cpu_loops<T>().cross_entropy_forward(g + begin * vocab, t + begin, l + begin, end - begin,
                                             vocab, 1.0 / double(n));
      });
    });
    ctx->save_for_backward({x, weight, grad_logits});
    return losses.sum().div_(double(n));
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &weight = saved[1];
    auto grad_logits = saved[2];
    // d loss is 1 for a plain backward(); a scaled loss (micro-batches) scales the gradient.
    const double scale = grads[0].item<double>();
    if (scale != 1.0) grad_logits = grad_logits * scale;
    return {torch::mm(grad_logits, weight), torch::mm(grad_logits.t(), x), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor linear_cross_entropy(const torch::Tensor& x, const torch::Tensor& weight,
                                   const torch::Tensor& targets) {
  if (!cpu_fused(x) || weight.scalar_type() != x.scalar_type()) {
    // Reduced-precision logits (bf16 autocast) are cast up to fp32 first; double stays double.
    auto logits = torch::nn::functional::linear(x, weight);
    if (logits.scalar_type() != torch::kDouble) logits = logits.to(torch::kFloat32);
    return torch::nn::functional::cross_entropy(logits, targets);
  }
  return LinearCrossEntropyFunction::apply(x, weight, targets);
}

}  // namespace scalelab::kernels
