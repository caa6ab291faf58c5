#include "trainer/train_step.h"

#include <limits>

namespace scalelab {

StepRunner::StepRunner(TrainSession& session) : s_(session) {}

StepResult StepRunner::run(int64_t step, double lr) {
  const int64_t T = s_.block_size(), micro = s_.layout.micro_rows, n_micro = s_.layout.n_micro;
  GradientSync* sync = s_.options.sync;
  buffer_.resize(micro * (T + 1));
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(s_.dev.device));
  for (int64_t m = 0; m < n_micro; ++m) {
    const int64_t row0 = s_.options.rank * s_.layout.rows_per_rank + m * micro;
    s_.loader.fill(step, row0, row0 + micro, buffer_.data());
    auto rows = rows_to_device(buffer_, micro, T + 1, s_.dev.device);
    torch::Tensor loss;
    {
      AutocastGuard autocast(s_.dev.bf16);
      loss = s_.model->loss(rows.narrow(1, 0, T), rows.narrow(1, 1, T));
    }
    if (sync) sync->before_backward(m == n_micro - 1);
    (loss / double(n_micro)).backward();
    loss_sum += loss.detach() / double(n_micro);
  }
  const double clip = s_.config.optim.grad_clip > 0 ? s_.config.optim.grad_clip
                                                    : std::numeric_limits<double>::infinity();
  StepResult r;
  r.lr = lr;
  r.grad_norm = torch::nn::utils::clip_grad_norm_(s_.optimizer.params(), clip);
  s_.optimizer.step(lr);
  s_.optimizer.zero_grad();
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
