#include "model/kernels/attention.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "model/kernels/cpu_loops.h"
#include "model/kernels/fused.h"

namespace scalelab::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

HeadLayout layout_of(const torch::Tensor& q, const torch::Tensor& k) {
  return {q.size(0), q.size(2), q.size(1), k.size(1), q.size(3)};
}

class CausalAttentionFunction : public torch::autograd::Function<CausalAttentionFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q_in,
                               const torch::Tensor& k_in, const torch::Tensor& v_in) {
    RECORD_FUNCTION("scalelab::causal_attention", std::vector<c10::IValue>());
    const auto q = q_in.contiguous(), k = k_in.contiguous(), v = v_in.contiguous();
    const HeadLayout l = layout_of(q, k);
    auto out = torch::empty({l.batch, l.seq, l.n_head * l.head_dim}, q.options());
    auto lse = torch::empty({l.batch, l.n_head, l.seq}, q.options());
    by_dtype(q, [&](auto zero) {
      using T = decltype(zero);
      const T *qp = q.data_ptr<T>(), *kp = k.data_ptr<T>(), *vp = v.data_ptr<T>();
      T *op = out.data_ptr<T>(), *lp = lse.data_ptr<T>();
      for_each_chunk(l.batch * l.n_kv_head, 1, [&](int64_t begin, int64_t end) {
        cpu_loops<T>().attention_forward(qp, kp, vp, op, lp, l, begin, end);
      });
    });
    ctx->save_for_backward({q, k, v, out, lse});
    return out;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2], &out = saved[3], &lse = saved[4];
    const auto dout = grads[0].contiguous();
    const HeadLayout l = layout_of(q, k);
    auto dq = torch::empty_like(q), dk = torch::empty_like(k), dv = torch::empty_like(v);
    by_dtype(q, [&](auto zero) {
      using T = decltype(zero);
      const T *qp = q.data_ptr<T>(), *kp = k.data_ptr<T>(), *vp = v.data_ptr<T>(),
              *op = out.data_ptr<T>(), *dop = dout.data_ptr<T>(), *lp = lse.data_ptr<T>();
      T *dqp = dq.data_ptr<T>(), *dkp = dk.data_ptr<T>(), *dvp = dv.data_ptr<T>();
      for_each_chunk(l.batch * l.n_kv_head, 1, [&](int64_t begin, int64_t end) {
        cpu_loops<T>().attention_backward(qp, kp, vp, op, dop, lp, dqp, dkp, dvp, l, begin, end);
      });
    });
    return {dq, dk, dv};
  }
};

// (B, H, T, hd) -> (B, T, H hd)
torch::Tensor merge_heads(const torch::Tensor& y) {
  return y.transpose(1, 2).reshape({y.size(0), y.size(2), y.size(1) * y.size(3)});
}

// Multi-head only: the scores of B H heads as batched matmuls, a group of heads at a time so that
// a group's (T, T) scores stay in the L2 cache between the matmuls and the softmax; the
// probabilities are kept for the backward.
class BatchedAttentionFunction : public torch::autograd::Function<BatchedAttentionFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q_in,
                               const torch::Tensor& k_in, const torch::Tensor& v_in) {
    RECORD_FUNCTION("scalelab::causal_attention", std::vector<c10::IValue>());
    const int64_t B = q_in.size(0), H = q_in.size(1), T = q_in.size(2), hd = q_in.size(3);
    const auto q = q_in.reshape({B * H, T, hd}), k = k_in.reshape({B * H, T, hd}),
               v = v_in.reshape({B * H, T, hd});
    const double scale = 1.0 / std::sqrt(double(hd));
    auto probs = torch::empty({B * H, T, T}, q.options()), y = torch::empty_like(q);
    for_each_group(B * H, T, [&](int64_t g, int64_t n) {
      auto p = probs.narrow(0, g, n);
      torch::bmm_out(p, q.narrow(0, g, n), k.narrow(0, g, n).transpose(1, 2));  // raw scores
      softmax(p, scale, /*backward=*/torch::Tensor());
      auto yg = y.narrow(0, g, n);
      torch::bmm_out(yg, p, v.narrow(0, g, n));
    });
    ctx->save_for_backward({q, k, v, probs});
    ctx->saved_data["scale"] = scale;
    return merge_heads(y.view({B, H, T, hd}));
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2], &probs = saved[3];
    const double scale = ctx->saved_data["scale"].toDouble();
    const int64_t BH = q.size(0), T = q.size(1), hd = q.size(2), H = grads[0].size(2) / hd,
                  B = BH / H;
    const auto dy = grads[0].view({B, T, H, hd}).transpose(1, 2).reshape({BH, T, hd});
    auto dq = torch::empty_like(q), dk = torch::empty_like(k), dv = torch::empty_like(v);
    auto ds_all = torch::empty({std::min(BH, group_size(T)), T, T}, q.options());
    for_each_group(BH, T, [&](int64_t g, int64_t n) {
      const auto p = probs.narrow(0, g, n), dyg = dy.narrow(0, g, n);
      auto ds = ds_all.narrow(0, 0, n);
      auto dvg = dv.narrow(0, g, n), dqg = dq.narrow(0, g, n), dkg = dk.narrow(0, g, n);
      torch::bmm_out(dvg, p.transpose(1, 2), dyg);
      torch::bmm_out(ds, dyg, v.narrow(0, g, n).transpose(1, 2));  // d probs, then d scores
      softmax(p, scale, ds);
      torch::bmm_out(dqg, ds, k.narrow(0, g, n));
      torch::bmm_out(dkg, ds.transpose(1, 2), q.narrow(0, g, n));
    });
    return {dq.view({B, H, T, hd}), dk.view({B, H, T, hd}), dv.view({B, H, T, hd})};
  }

 private:
  static constexpr int64_t kRowsPerChunk = 64;
  static constexpr int64_t kGroupBytes = 512 << 10;  // a quarter of a 2 MB L2

  static int64_t group_size(int64_t T) { return std::max<int64_t>(1, kGroupBytes / (4 * T * T)); }

  // f(first head, heads) over [0, BH) in groups that fit the cache.
  static void for_each_group(int64_t BH, int64_t T,
                             const std::function<void(int64_t, int64_t)>& f) {
    const int64_t size = group_size(T);
    for (int64_t g = 0; g < BH; g += size) f(g, std::min(size, BH - g));
  }

  // In place over (heads, T, T): scores -> probabilities, or with `grad` defined, grad (d probs)
  // -> d scores given the probabilities p.
  static void softmax(const torch::Tensor& p, double scale, const torch::Tensor& grad) {
    const int64_t T = p.size(1), rows = p.size(0) * T;
    by_dtype(p, [&](auto zero) {
      using scalar_t = decltype(zero);
      scalar_t* pp = p.data_ptr<scalar_t>();
      scalar_t* gp = grad.defined() ? grad.data_ptr<scalar_t>() : nullptr;
      for_each_chunk(rows, kRowsPerChunk, [&](int64_t begin, int64_t end) {
        if (gp)
          cpu_loops<scalar_t>().causal_softmax_backward(pp + begin * T, gp + begin * T, end - begin,
                                                        begin, T, scale);
        else
          cpu_loops<scalar_t>().causal_softmax_forward(pp + begin * T, end - begin, begin, T,
                                                       scale);
      });
    });
  }
};

AttentionPath choose(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& alibi) {
  const int64_t hd = q.size(3), scores = q.size(0) * q.size(1) * q.size(2) * q.size(2);
  if (!cpu_fused(q) || alibi.defined() || hd > kMaxFusedHeadDim) return AttentionPath::sdpa;
  if (hd <= kMaxRowHeadDim) return AttentionPath::rows;
  if (k.size(1) == q.size(1) && scores <= kMaxScores) return AttentionPath::batched;
  return AttentionPath::sdpa;
}

}  // namespace

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& alibi,
                               AttentionPath path) {
  const bool gqa = k.size(1) != q.size(1);
  if (path == AttentionPath::automatic || !cpu_fused(q) || alibi.defined())
    path = choose(q, k, alibi);
  TORCH_CHECK(path != AttentionPath::batched || !gqa,
              "causal_attention: the batched path takes multi-head attention only");
  if (path == AttentionPath::rows) return CausalAttentionFunction::apply(q, k, v);
  if (path == AttentionPath::batched) return BatchedAttentionFunction::apply(q, k, v);
  torch::Tensor y;
  if (alibi.defined()) {
    // The ALiBi bias already holds -inf above the diagonal, so is_causal stays off.
    y = at::scaled_dot_product_attention(q, k, v, alibi.to(q.dtype()), 0.0, false, std::nullopt,
                                         gqa);
  } else {
    y = at::scaled_dot_product_attention(q, k, v, {}, 0.0, true, std::nullopt, gqa);
  }
  return merge_heads(y);
}

}  // namespace scalelab::kernels
