// Data parallelism through c10d: a process group over the launch (TCPStore rendezvous; Gloo on CPU,
// NCCL on CUDA), rank 0's weights broadcast to every rank, and gradients averaged by c10d's own
// DDP Reducer: bucketed all-reduce over flat buffers, each bucket launched from the autograd
// hooks as soon as its gradients are ready, so communication overlaps the rest of the backward
// pass. The trainer sees only the GradientSync interface (trainer/train.h); LibTorch and c10d
// types stay inside distributed.cpp so that cli/ compiles without them.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <string>

#include "trainer/launch_env.h"
#include "trainer/train.h"

namespace scalelab {

struct DataParallelOptions {
  // Bounds every wait on another rank: joining the group, and each collective (Gloo; NCCL's
  // watchdog). A rank that dies makes the others fail within it (usually at once, when Gloo sees
  // the closed connection) instead of hanging.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  int64_t bucket_bytes = 25 * 1024 * 1024;  // DDP's default bucket_cap_mb = 25
};

class DataParallel final : public GradientSync {
 public:
  // Joins the group described by `env` on `device` ("cpu" -> Gloo, "cuda:K" -> NCCL). Throws
  // std::runtime_error with a message naming the cause (port in use, a rank that never came, ...).
  DataParallel(const LaunchEnv& env, const std::string& device, DataParallelOptions options = {});
  ~DataParallel() override;
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  void attach(const std::vector<at::Tensor>& params) override;
  void before_backward(bool last_micro_step) override;
  double average(double value) override;

  // Blocks until every rank has arrived.
  void barrier();
  // Mean seconds of all-reducing n_floats fp32 values in bucket_bytes pieces, nothing overlapped:
  // the communication a step would cost without the Reducer's overlap (bench/bench_dist).
  double allreduce_seconds(int64_t n_floats, int repeats);

  // An error that ended this rank's training, as one line naming the rank (and, when a collective
  // failed, the likely cause: another rank exited or timed out).
  std::string describe(const std::exception& error) const;

  int rank() const;
  int world_size() const;
  const std::string& backend() const;  // "gloo" or "nccl"

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The device string a rank trains on: `train_device` as configured, except that "auto" or
// "cuda" become "cuda:<local rank modulo the visible GPUs>" when CUDA is present, so that the ranks
// of a node each take their own GPU. "cpu" and an explicit "cuda:K" are kept.
std::string rank_device(const std::string& train_device, const LaunchEnv& env);

}  // namespace scalelab
