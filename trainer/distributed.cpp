#include "trainer/distributed.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#include <unordered_set>

#include "common/log.h"

// The wheel ships ProcessGroupGloo.hpp but not the gloo/ headers it includes; they come from
// Debian's libgloo-dev (scripts/setup.sh). ProcessGroupGloo holds gloo objects only through
// pointers, and this file calls only its out-of-line constructor and Options::create_default, so
// nothing here depends on the layout of gloo's own classes (see the README, "Data parallel").
#ifndef USE_C10D_GLOO
#error "LibTorch was built without Gloo (USE_C10D_GLOO); scalelab's CPU data parallelism needs it"
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#if defined(SCALELAB_CUDA) && defined(USE_C10D_NCCL)
#include <c10/cuda/CUDAFunctions.h>

#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define SCALELAB_NCCL 1
#endif

namespace scalelab {
namespace {

// c10::Error's message without the C++ backtrace that what() appends.
std::string message_of(const std::exception& e) {
  std::string text = e.what();
  if (auto* c10_error = dynamic_cast<const c10::Error*>(&e))
    text = c10_error->what_without_backtrace();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

bool contains(const std::string& text, const char* needle) {
  return text.find(needle) != std::string::npos;
}

// DDP broadcasts the initial state in 250 MiB pieces (torch/nn/parallel/distributed.py,
// broadcast_bucket_size).
constexpr size_t kBroadcastBytes = 250u * 1024 * 1024;

}  // namespace

struct DataParallel::Impl {
  LaunchEnv env;
  DataParallelOptions options;
  torch::Device device{torch::kCPU};
  std::string backend;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
  std::unique_ptr<c10d::Reducer> reducer;

  std::string who() const { return log::format("[dist] rank %d of %d", env.rank, env.world_size); }
  // Runs a collective step; a failure names this rank and the likely cause.
  template <class F>
  void guarded(const char* what, F&& body) {
    try {
      body();
    } catch (const std::exception& e) {
      throw std::runtime_error(who() + ": " + what + " failed: " + message_of(e) +
                               " (another rank may have exited; waits time out after " +
                               std::to_string(options.timeout.count() / 1000) + " s)");
    }
  }
};

namespace {

// The rendezvous store: a TCPStore at MASTER_ADDR:MASTER_PORT, hosted by rank 0, or under
// torchrun's agent (TORCHELASTIC_USE_AGENT_STORE=True) by the agent, with every rank a client.
// The agent keeps one store across restarts, so each attempt's keys live under their own prefix,
// /worker/attempt_<TORCHELASTIC_RESTART_COUNT>, as torch.distributed's env:// rendezvous did.
c10::intrusive_ptr<c10d::Store> make_store(const LaunchEnv& env, std::chrono::milliseconds timeout,
                                           const std::string& who) {
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(env.master_port);
  o.isServer = !env.agent_store && env.rank == 0;
  o.numWorkers = env.world_size;  // the host waits (up to the timeout) until every rank connected
  o.timeout = timeout;
  const std::string where =
      "MASTER_ADDR:MASTER_PORT = " + env.master_addr + ":" + std::to_string(env.master_port);
  c10::intrusive_ptr<c10d::Store> tcp;
  try {
    tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, o);
  } catch (const std::exception& e) {
    const std::string m = message_of(e);
    std::string hint;
    if (contains(m, "EADDRINUSE") || contains(m, "address already in use"))
      hint = "the port is in use; choose a free one (torchrun --master-port, or MASTER_PORT). ";
    else if (contains(m, "imed out") || contains(m, "imeout"))
      hint = "not every rank reached the store within " + std::to_string(timeout.count() / 1000) +
             " s. ";
    throw std::runtime_error(who +
                             (o.isServer ? ": could not host the rendezvous store at "
                                         : ": could not join the rendezvous store at ") +
                             where + ": " + hint + m);
  }
  if (!env.agent_store) return tcp;
  return c10::make_intrusive<c10d::PrefixStore>(
      "/worker/attempt_" + std::to_string(env.restart_count), tcp);
}

}  // namespace

DataParallel::DataParallel(const LaunchEnv& env, const std::string& device,
                           DataParallelOptions options)
    : impl_(std::make_unique<Impl>()) {
  // c10d logs each failed connection attempt with the C++ backtrace of the error it caught; people
  // need the message. TORCH_SHOW_CPP_STACKTRACES=1 keeps backtraces and TORCH_CPP_LOG_LEVEL sets
  // the level of c10d's log, as in Python.
  const char* show = std::getenv("TORCH_SHOW_CPP_STACKTRACES");
  if (!show || std::string(show) != "1")
    c10::SetStackTraceFetcher([]() -> std::string { return ""; });
  c10::initLogging();
  Impl& d = *impl_;
  d.env = env;
  d.options = options;
  d.device = torch::Device(device);
  d.store = make_store(env, options.timeout, d.who());
  d.group = c10::make_intrusive<c10d::ProcessGroup>(d.store, env.rank, env.world_size);
  try {
    if (d.device.is_cuda()) {
#ifdef SCALELAB_NCCL
      c10::cuda::set_device(d.device.index());  // NCCL binds each communicator to the current GPU
      // A dead or stuck peer: abort the communicators and let the collective throw (mode 2,
      // "clean up only"), so this rank ends with describe()'s one line and exit 1 like Gloo, not
      // with the watchdog's process abort (mode 3, the default). A user's setting wins.
      ::setenv("TORCH_NCCL_ASYNC_ERROR_HANDLING", "2", /*overwrite=*/0);
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = options.timeout;  // the watchdog ends a rank whose collective exceeds it
      auto nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(d.store, env.rank, env.world_size, o);
      d.group->setDefaultBackend(c10d::ProcessGroup::BackendType::NCCL);
      d.group->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::NCCL, nccl);
      d.backend = "nccl";
#else
      throw std::runtime_error("train.device " + device +
                               ": this scalelab was built without CUDA, so without NCCL");
#endif
    } else {
      // Devices from GLOO_SOCKET_IFNAME when set, else this host's address (loopback as fallback).
      auto o = c10d::ProcessGroupGloo::Options::create_default(options.timeout);
      o->timeout = options.timeout;  // bounds every Gloo collective and the connection set-up
      auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(d.store, env.rank, env.world_size, o);
      d.group->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
      d.group->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO, gloo);
      d.backend = "gloo";
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(d.who() + ": the " + (d.device.is_cuda() ? "NCCL" : "Gloo") +
                             " group did not form (did every rank start?): " + message_of(e));
  }
  log::info(log::format("[dist] rank %d of %d joined the %s group (%s, store %s:%d%s)", env.rank,
                        env.world_size, d.backend.c_str(), device.c_str(), env.master_addr.c_str(),
                        env.master_port, env.agent_store ? ", torchrun agent's" : ""));
}

DataParallel::~DataParallel() {
  impl_->reducer.reset();  // removes its autograd hooks before the group goes
}

void DataParallel::attach(const std::vector<at::Tensor>& all_params) {
  Impl& d = *impl_;
  // Trainable parameters, each once (a tied weight appears under two names).
  std::vector<at::Tensor> params;
  std::unordered_set<const c10::TensorImpl*> seen;
  for (const auto& p : all_params)
    if (p.requires_grad() && seen.insert(p.unsafeGetTensorImpl()).second) params.push_back(p);
  if (params.empty()) throw std::runtime_error(d.who() + ": the model has no trainable parameters");
  const size_t n = params.size();

  d.guarded("checking that every rank built the same model",
            [&] { c10d::verify_params_across_processes(d.group, params, std::nullopt); });
  // Every rank starts from rank 0's weights (fresh, resumed or --init-from), as DDP's constructor.
  d.guarded("broadcasting rank 0's weights", [&] {
    std::vector<at::Tensor> detached;
    for (const auto& p : params) detached.push_back(p.detach());
    c10d::broadcast_coalesced(d.group, detached, kBroadcastBytes, 0);
  });
  // As DDP: the first synchronised step uses one bucket; then rebuild_buckets() regroups the
  // parameters by the order their gradients arrived, first bucket 1 MB, the others bucket_bytes.
  std::vector<std::vector<size_t>> buckets;
  std::tie(buckets, std::ignore) = c10d::compute_bucket_assignment_by_size(
      params, {std::numeric_limits<size_t>::max()}, std::vector<bool>(n, false));
  std::reverse(buckets.begin(), buckets.end());  // gradients arrive roughly in reverse order
  d.reducer = std::make_unique<c10d::Reducer>(
      params, buckets, d.group, std::vector<bool>(n, false), d.options.bucket_bytes,
      /*find_unused_parameters=*/false,
      /*gradient_as_bucket_view=*/false, std::unordered_map<size_t, std::string>{},
      c10d::kDefaultFirstBucketBytes,
      /*skip_all_reduce_unused_params=*/false, /*use_python_reducer=*/false,
      std::vector<int64_t>{});
}

void DataParallel::before_backward(bool last_micro_step) {
  Impl& d = *impl_;
  if (!last_micro_step)
    return;  // accumulate locally; the Reducer ignores hooks it was not armed for
  if (!d.reducer) throw std::logic_error("DataParallel::before_backward: attach() was not called");
  d.guarded("regrouping gradient buckets", [&] { d.reducer->rebuild_buckets(); });
  d.reducer->prepare_for_backward({});
}

double DataParallel::average(double value) {
  Impl& d = *impl_;
  auto t = torch::full({1}, value, torch::TensorOptions().dtype(torch::kFloat64).device(d.device));
  std::vector<at::Tensor> tensors{t};
  d.guarded("averaging a value", [&] { d.group->allreduce(tensors)->wait(); });
  return t.item<double>() / d.env.world_size;
}

void DataParallel::barrier() {
  Impl& d = *impl_;
  d.guarded("the barrier", [&] { d.group->barrier()->wait(); });
}

double DataParallel::allreduce_seconds(int64_t n_floats, int repeats) {
  Impl& d = *impl_;
  auto flat =
      torch::ones({n_floats}, torch::TensorOptions().dtype(torch::kFloat32).device(d.device));
  const int64_t per_bucket = std::max<int64_t>(1, d.options.bucket_bytes / 4);
  auto once = [&] {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (int64_t begin = 0; begin < n_floats; begin += per_bucket) {
      std::vector<at::Tensor> bucket{flat.narrow(0, begin, std::min(per_bucket, n_floats - begin))};
      works.push_back(d.group->allreduce(bucket));
    }
    for (auto& w : works) w->wait();
    if (d.device.is_cuda()) torch::cuda::synchronize(d.device.index());
  };
  double seconds = 0;
  d.guarded("timing all-reduce", [&] {
    once();  // warm-up: first-use set-up is not communication
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < repeats; ++i) once();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
              std::max(repeats, 1);
  });
  return seconds;
}

std::string DataParallel::describe(const std::exception& error) const {
  const std::string m = message_of(error);
  if (m.rfind("[dist]", 0) == 0) return m;  // already says which rank and why
  std::string cause;
  // Gloo's transport errors reach here as plain c10::Error naming gloo/ (e.g. "Connection reset by
  // peer").
  if (dynamic_cast<const c10::DistError*>(&error) || contains(m, "gloo") || contains(m, "NCCL"))
    cause = "a collective failed (another rank exited, or none answered within " +
            std::to_string(impl_->options.timeout.count() / 1000) + " s): ";
  return impl_->who() + ": " + cause + m;
}

int DataParallel::rank() const {
  return impl_->env.rank;
}
int DataParallel::world_size() const {
  return impl_->env.world_size;
}
const std::string& DataParallel::backend() const {
  return impl_->backend;
}

std::string rank_device(const std::string& train_device, const LaunchEnv& env) {
  const bool wants_cuda = train_device == "auto" || train_device == "cuda";
  if (wants_cuda && torch::cuda::is_available())
    return "cuda:" + std::to_string(env.local_rank % static_cast<int>(torch::cuda::device_count()));
  if (train_device == "auto") return "cpu";
  if (train_device.rfind("cuda", 0) == 0 && !torch::cuda::is_available())
    throw std::runtime_error("train.device: '" + train_device +
                             "' asked for CUDA, but no CUDA device is available");
  return train_device;  // "cpu" or an explicit "cuda:K"
}

}  // namespace scalelab
