#include "model/kernels/swiglu.h"

#include "model/kernels/cpu_loops.h"
#include "model/kernels/fused.h"

namespace scalelab::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;
constexpr int64_t kRowsPerChunk = 32;

std::vector<int64_t> half_last(const torch::Tensor& t) {
  auto sizes = t.sizes().vec();
  sizes.back() /= 2;
  return sizes;
}

class SwiGluFunction : public torch::autograd::Function<SwiGluFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& gate_up_in) {
    RECORD_FUNCTION("scalelab::swiglu", std::vector<c10::IValue>());
    const auto gate_up = gate_up_in.contiguous();
    const int64_t hidden = gate_up.size(-1) / 2, rows = gate_up.numel() / (2 * hidden);
    auto out = torch::empty(half_last(gate_up), gate_up.options());
    by_dtype(gate_up, [&](auto zero) {
      using T = decltype(zero);
      const T* in = gate_up.data_ptr<T>();
      T* o = out.data_ptr<T>();
      for_each_chunk(rows, kRowsPerChunk, [&](int64_t begin, int64_t end) {
        cpu_loops<T>().swiglu_forward(in + begin * 2 * hidden, o + begin * hidden, end - begin,
                                      hidden);
      });
    });
    ctx->save_for_backward({gate_up});
    return out;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto gate_up = ctx->get_saved_variables()[0];
    const auto dout = grads[0].contiguous();
    const int64_t hidden = gate_up.size(-1) / 2, rows = gate_up.numel() / (2 * hidden);
    auto dgate_up = torch::empty_like(gate_up);
    by_dtype(gate_up, [&](auto zero) {
      using T = decltype(zero);
      const T *dy = dout.data_ptr<T>(), *in = gate_up.data_ptr<T>();
      T* dg = dgate_up.data_ptr<T>();
      for_each_chunk(rows, kRowsPerChunk, [&](int64_t begin, int64_t end) {
        cpu_loops<T>().swiglu_backward(dy + begin * hidden, in + begin * 2 * hidden,
                                       dg + begin * 2 * hidden, end - begin, hidden);
      });
    });
    return {dgate_up};
  }
};

}  // namespace

torch::Tensor swiglu(const torch::Tensor& gate_up) {
  TORCH_CHECK(gate_up.size(-1) % 2 == 0, "swiglu: the last dimension (", gate_up.size(-1),
              ") must hold gate and up halves");
  if (!cpu_fused(gate_up)) {
    const auto parts = gate_up.chunk(2, -1);
    return torch::silu(parts[0]) * parts[1];
  }
  return SwiGluFunction::apply(gate_up);
}

}  // namespace scalelab::kernels
