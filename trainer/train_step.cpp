#include "trainer/train_step.h"

#include <limits>

#include "model/kernels/fused.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace scalelab {

torch::Tensor forward_backward(GPT& model, const torch::Tensor& inputs,
                               const torch::Tensor& targets, int64_t n_micro, bool bf16,
                               GradientSync* sync, bool last_micro) {
  torch::Tensor loss;
  {
    AutocastGuard autocast(bf16);
    loss = model->loss(inputs, targets);
  }
  if (sync) sync->before_backward(last_micro);
  (loss / double(n_micro)).backward();
  return loss.detach();
}

double clip_and_update(FusedAdamW& optimizer, double grad_clip, double lr) {
  double norm;
  if (kernels::fused_enabled()) {
    norm = optimizer.clip_and_step(lr, grad_clip);
  } else {  // unfused (SCALELAB_FUSED_KERNELS=0): clipping as its own pass, as before
    const double clip = grad_clip > 0 ? grad_clip : std::numeric_limits<double>::infinity();
    norm = torch::nn::utils::clip_grad_norm_(optimizer.params(), clip);
    optimizer.step(lr);
  }
  optimizer.zero_grad();
  return norm;
}

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  // glibc hands blocks above its mmap threshold straight back to the system when freed, and trims
  // the heap top above its trim threshold, so each step would fault every large activation's
  // pages in afresh (bench/results/profile_step_*.json: about 800 page faults a step at 0.8M
  // parameters). Kept in the heap, freed blocks serve the next step's allocations.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // the largest glibc takes; larger blocks stay mmapped
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

StepRunner::StepRunner(TrainSession& session) : s_(session) {
  keep_freed_memory_for_reuse();
}

StepResult StepRunner::run(int64_t step, double lr) {
  const int64_t T = s_.block_size(), micro = s_.layout.micro_rows, n_micro = s_.layout.n_micro;
  GradientSync* sync = s_.options.sync;
  buffer_.resize(micro * (T + 1));
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(s_.dev.device));
  for (int64_t m = 0; m < n_micro; ++m) {
    const int64_t row0 = s_.options.rank * s_.layout.rows_per_rank + m * micro;
    s_.loader.fill(step, row0, row0 + micro, buffer_.data());
    auto rows = rows_to_device(buffer_, micro, T + 1, s_.dev.device);
    auto loss = forward_backward(s_.model, rows.narrow(1, 0, T), rows.narrow(1, 1, T), n_micro,
                                 s_.dev.bf16, sync, m == n_micro - 1);
    loss_sum += loss / double(n_micro);
  }
  StepResult r;
  r.lr = lr;
  r.grad_norm = clip_and_update(s_.optimizer, s_.config.optim.grad_clip, lr);
  r.loss = loss_sum.item<double>();
  if (sync) r.loss = sync->average(r.loss);
  return r;
}

double StepRunner::evaluate() {
  torch::NoGradGuard no_grad;
  s_.model->eval();
  const int64_t T = s_.block_size();
  const int64_t rows =
      s_.config.eval.batch_size > 0 ? s_.config.eval.batch_size : s_.config.train.batch_size;
  const int64_t n_windows = s_.val_loader.n_windows();
  std::vector<int64_t> buffer;
  double sum = 0;
  int64_t n = 0;
  // Each rank takes every world_size-th window batch; the sums are combined below.
  for (int64_t w = s_.options.rank * rows; w < n_windows; w += rows * s_.options.world_size) {
    const int64_t end = std::min(w + rows, n_windows);
    buffer.resize((end - w) * (T + 1));
    s_.val_loader.fill(w, end, buffer.data());
    auto batch = rows_to_device(buffer, end - w, T + 1, s_.dev.device);
    AutocastGuard autocast(s_.dev.bf16);
    sum += s_.model->loss(batch.narrow(1, 0, T), batch.narrow(1, 1, T)).item<double>() * (end - w);
    n += end - w;
  }
  s_.model->train();
  if (s_.options.sync) return s_.options.sync->average(sum) / s_.options.sync->average(double(n));
  return sum / double(n);
}

}  // namespace scalelab
