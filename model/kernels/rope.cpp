#include "model/kernels/rope.h"

#include "model/kernels/cpu_loops.h"
#include "model/kernels/fused.h"

namespace scalelab::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;
constexpr int64_t kRowsPerChunk = 64;

HeadLayout layout_of(const torch::Tensor& qkv, int64_t n_head, int64_t n_kv_head,
                     int64_t head_dim) {
  return {qkv.size(0), qkv.size(1), n_head, n_kv_head, head_dim};
}

// cos and sin as contiguous tables in x's dtype; empty ones (no rotation) when undefined, since
// an autograd Function takes no undefined inputs.
std::pair<torch::Tensor, torch::Tensor> tables(const torch::Tensor& cos, const torch::Tensor& sin,
                                               const torch::Tensor& x) {
  if (!cos.defined()) return {torch::empty({0}, x.options()), torch::empty({0}, x.options())};
  return {cos.to(x.scalar_type()).contiguous(), sin.to(x.scalar_type()).contiguous()};
}

template <class T>
const T* ptr_or_null(const torch::Tensor& t) {
  return t.numel() > 0 ? t.data_ptr<T>() : nullptr;
}

class SplitHeadsFunction : public torch::autograd::Function<SplitHeadsFunction> {
 public:
  static tensor_list forward(AutogradContext* ctx, const torch::Tensor& qkv_in,
                             const torch::Tensor& cos, const torch::Tensor& sin, int64_t n_head,
                             int64_t n_kv_head, int64_t head_dim) {
    RECORD_FUNCTION("scalelab::split_heads", std::vector<c10::IValue>());
    const auto qkv = qkv_in.contiguous();
    const HeadLayout l = layout_of(qkv, n_head, n_kv_head, head_dim);
    auto q = torch::empty({l.batch, n_head, l.seq, head_dim}, qkv.options());
    auto k = torch::empty({l.batch, n_kv_head, l.seq, head_dim}, qkv.options());
    auto v = torch::empty_like(k);
    by_dtype(qkv, [&](auto zero) {
      using T = decltype(zero);
      const T *in = qkv.data_ptr<T>(), *c = ptr_or_null<T>(cos), *s = ptr_or_null<T>(sin);
      T *qp = q.data_ptr<T>(), *kp = k.data_ptr<T>(), *vp = v.data_ptr<T>();
      for_each_chunk(l.batch * l.seq, kRowsPerChunk, [&](int64_t begin, int64_t end) {
        cpu_loops<T>().rope_split_forward(in, c, s, qp, kp, vp, l, begin, end);
      });
    });
    ctx->save_for_backward({cos, sin});
    ctx->saved_data["layout"] = std::vector<int64_t>{l.batch, l.seq, n_head, n_kv_head, head_dim};
    return {q, k, v};
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto dims = ctx->saved_data["layout"].toIntVector();
    const HeadLayout l{dims[0], dims[1], dims[2], dims[3], dims[4]};
    torch::Tensor dq = grads[0], dk = grads[1], dv = grads[2];
    // An output that did not reach the loss has no gradient: zeros in its place.
    const auto opts = dq.defined() ? dq.options() : dk.defined() ? dk.options() : dv.options();
    if (!dq.defined()) dq = torch::zeros({l.batch, l.n_head, l.seq, l.head_dim}, opts);
    if (!dk.defined()) dk = torch::zeros({l.batch, l.n_kv_head, l.seq, l.head_dim}, opts);
    if (!dv.defined()) dv = torch::zeros({l.batch, l.n_kv_head, l.seq, l.head_dim}, opts);
    dq = dq.contiguous(), dk = dk.contiguous(), dv = dv.contiguous();
    auto dqkv = torch::empty({l.batch, l.seq, l.width()}, opts);
    by_dtype(dqkv, [&](auto zero) {
      using T = decltype(zero);
      const T *c = ptr_or_null<T>(saved[0]), *s = ptr_or_null<T>(saved[1]);
      const T *dqp = dq.data_ptr<T>(), *dkp = dk.data_ptr<T>(), *dvp = dv.data_ptr<T>();
      T* out = dqkv.data_ptr<T>();
      for_each_chunk(l.batch * l.seq, kRowsPerChunk, [&](int64_t begin, int64_t end) {
        cpu_loops<T>().rope_split_backward(dqp, dkp, dvp, c, s, out, l, begin, end);
      });
    });
    return {dqkv,           torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos,
                         const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half);
  auto rotated = torch::cat({-x2, x1}, -1);  // rotate_half
  return x * cos.to(x.dtype()) + rotated * sin.to(x.dtype());
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> split_heads(
    const torch::Tensor& qkv, const torch::Tensor& cos, const torch::Tensor& sin, int64_t n_head,
    int64_t n_kv_head, int64_t head_dim) {
  TORCH_CHECK(qkv.dim() == 3 && qkv.size(2) == (n_head + 2 * n_kv_head) * head_dim,
              "split_heads: qkv must be (B, T, (n_head + 2 n_kv_head) head_dim), not ",
              qkv.sizes());
  if (cpu_fused(qkv)) {
    const auto [c, s] = tables(cos, sin, qkv);
    auto out = SplitHeadsFunction::apply(qkv, c, s, n_head, n_kv_head, head_dim);
    return {out[0], out[1], out[2]};
  }
  const int64_t B = qkv.size(0), T = qkv.size(1);
  const auto parts = qkv.split({n_head * head_dim, n_kv_head * head_dim, n_kv_head * head_dim}, -1);
  auto q = parts[0].view({B, T, n_head, head_dim}).transpose(1, 2);     // (B, H, T, hd)
  auto k = parts[1].view({B, T, n_kv_head, head_dim}).transpose(1, 2);  // (B, Hkv, T, hd)
  auto v = parts[2].view({B, T, n_kv_head, head_dim}).transpose(1, 2);  // (B, Hkv, T, hd)
  if (cos.defined()) {
    q = apply_rope(q, cos, sin);
    k = apply_rope(k, cos, sin);
  }
  return {q, k, v};
}

}  // namespace scalelab::kernels
