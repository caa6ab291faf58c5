#include "model/kernels/rms_norm.h"

#include "model/kernels/cpu_loops.h"
#include "model/kernels/fused.h"

namespace scalelab::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;
constexpr int64_t kRowsPerChunk = 64;

class RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& weight_in, double eps) {
    RECORD_FUNCTION("scalelab::rms_norm", std::vector<c10::IValue>());
    const auto x = x_in.contiguous(), weight = weight_in.contiguous();
    const int64_t dim = x.size(-1), rows = x.numel() / dim;
    auto y = torch::empty_like(x), rstd = torch::empty({rows}, x.options());
    by_dtype(x, [&](auto zero) {
      using T = decltype(zero);
      const T *xp = x.data_ptr<T>(), *wp = weight.data_ptr<T>();
      T *yp = y.data_ptr<T>(), *rp = rstd.data_ptr<T>();
      for_each_chunk(rows, kRowsPerChunk, [&](int64_t begin, int64_t end) {
        cpu_loops<T>().rms_norm_forward(xp + begin * dim, wp, yp + begin * dim, rp + begin,
                                        end - begin, dim, eps);
      });
    });
    ctx->save_for_backward({x, weight, rstd});
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &weight = saved[1], &rstd = saved[2];
    const auto dy = grads[0].contiguous();
    const int64_t dim = x.size(-1), rows = x.numel() / dim;
    const int64_t n_chunks = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
    auto dx = torch::empty_like(x);
    // One row of weight-gradient partial sums per chunk, summed in chunk order below.
    auto dw_parts = torch::zeros({n_chunks, dim}, x.options());
    by_dtype(x, [&](auto zero) {
      using T = decltype(zero);
      const T *dyp = dy.data_ptr<T>(), *xp = x.data_ptr<T>(), *wp = weight.data_ptr<T>(),
              *rp = rstd.data_ptr<T>();
      T *dxp = dx.data_ptr<T>(), *partp = dw_parts.data_ptr<T>();
      for_each_chunk(rows, kRowsPerChunk, [&](int64_t begin, int64_t end) {
        cpu_loops<T>().rms_norm_backward(dyp + begin * dim, xp + begin * dim, wp, rp + begin,
                                         dxp + begin * dim, partp + begin / kRowsPerChunk * dim,
                                         end - begin, dim);
      });
    });
    return {dx, dw_parts.sum(0), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  if (!cpu_fused(x) || weight.scalar_type() != x.scalar_type())
    return at::rms_norm(x, {x.size(-1)}, weight, eps);
  return RmsNormFunction::apply(x, weight, eps);
}

}  // namespace scalelab::kernels
