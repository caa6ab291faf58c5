#include "experiments/throughput_measure.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/log.h"
#include "common/text.h"
#include "experiments/process.h"
#include "experiments/run_state.h"
#include "experiments/template.h"
#include "runfolder/metrics.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kSteps = 20, kLogEvery = 5;

struct Measured {
  std::vector<double> rates;  // tokens/s of each logging interval after the first, every copy
  double startup_s = 0;       // mean over the copies
};

std::vector<std::string> measure_command(const std::string& binary, const fs::path& dir,
                                         int threads) {
  std::vector<std::string> argv = {binary, "train", (dir / "sweep_config.yaml").string(), "--out",
                                   (dir / "run").string()};
  for (const std::string& set :
       {"train.steps=" + std::to_string(kSteps), std::string("train.tokens=0"),
        std::string("train.flops=0"), "log.every=" + std::to_string(kLogEvery),
        std::string("eval.every=0"), std::string("eval.n_batches=1"),
        std::string("checkpoint.keep=1"), "train.threads=" + std::to_string(threads)})
    argv.insert(argv.end(), {"--set", set});
  return argv;
}

// The train lines' interval rates (after the first interval) and the last line's elapsed time.
bool read_rates(const fs::path& run, std::vector<double>* rates, double* elapsed_s) {
  std::ifstream in(metrics_path(run.string()));
  bool any = false;
  for (std::string text; std::getline(in, text);) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || j.value("kind", "") != "train") continue;
    *elapsed_s = j.value("elapsed_s", 0.0);
    if (j.value("step", 0) > kLogEvery && j.value("tokens_per_s", 0.0) > 0) {
      rates->push_back(j["tokens_per_s"].get<double>());
      any = true;
    }
  }
  return any;
}

// `copies` processes of one run at once.
std::optional<Measured> measure_one(const Run& r, const std::string& binary, int threads,
                                    int copies, double timeout_s, const fs::path& scratch,
                                    std::string* why) {
  std::vector<pid_t> pids;
  std::vector<fs::path> dirs;
  const auto start = Clock::now();
  for (int i = 0; i < copies; ++i) {
    dirs.push_back(scratch / (r.name + "-" + std::to_string(i)));
    fs::create_directories(dirs.back());
    std::ofstream(dirs.back() / "sweep_config.yaml") << to_yaml(r.config);
    pids.push_back(spawn({measure_command(binary, dirs.back(), threads),
                          {{"OMP_NUM_THREADS", std::to_string(threads)}},
                          (dirs.back() / "output.txt").string()}));
  }
  std::vector<double> ended(copies, -1);
  std::vector<int> statuses(copies, 0);
  for (int left = copies; left > 0;) {
    const double now = std::chrono::duration<double>(Clock::now() - start).count();
    for (int i = 0; i < copies; ++i)
      if (ended[i] < 0 && ::waitpid(pids[i], &statuses[i], WNOHANG) == pids[i])
        ended[i] = now, --left;
    if (left > 0 && now > timeout_s) {
      for (int i = 0; i < copies; ++i)
        if (ended[i] < 0) ::kill(pids[i], SIGTERM), ::waitpid(pids[i], &statuses[i], 0);
      *why = "measuring " + r.name + " took over " + format_number(timeout_s) +
             " s (pass --tokens-per-s)";
      return std::nullopt;
    }
    if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Measured m;
  for (int i = 0; i < copies; ++i) {
    double elapsed = 0;
    if (!decode_wait_status(statuses[i]).ok || !read_rates(dirs[i] / "run", &m.rates, &elapsed)) {
      std::string out = last_lines((dirs[i] / "output.txt").string(), 1);
      while (!out.empty() && out.back() == '\n') out.pop_back();
      *why = "measuring " + r.name + " failed: " + out;
      return std::nullopt;
    }
    m.startup_s += std::max(0.0, ended[i] - elapsed) / copies;
  }
  return m;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / double(v.size());
}

// The relative standard deviation of each model's interval rates about its own mean, pooled.
double pooled_spread(const std::vector<const Measured*>& models) {
  double ss = 0, n = 0;
  for (const Measured* m : models) {
    const double mu = mean(m->rates);
    for (double r : m->rates) ss += (r / mu - 1) * (r / mu - 1);
    n += double(m->rates.size()) - 1;
  }
  return n > 0 ? std::sqrt(ss / n) : 0;
}

}  // namespace

std::optional<Throughput> measure_throughput(const std::vector<Run>& runs,
                                             const std::string& binary, int threads, int copies,
                                             double timeout_s, std::string* why) {
  auto by_cost = [](const Run& a, const Run& b) { return cost_per_token(a) < cost_per_token(b); };
  const Run& small = *std::min_element(runs.begin(), runs.end(), by_cost);
  const Run& large = *std::max_element(runs.begin(), runs.end(), by_cost);
  copies = std::max(1, copies);
  const fs::path scratch =
      fs::temp_directory_path() / ("scalelab_sweep_measure_" + std::to_string(::getpid()));
  fs::remove_all(scratch);
  double load = 0;
  ::getloadavg(&load, 1);
  auto small_m = measure_one(small, binary, threads, copies, timeout_s, scratch, why);
  std::optional<Measured> large_m = small_m;
  if (small_m && cost_per_token(large) > cost_per_token(small))
    large_m = measure_one(large, binary, threads, copies, timeout_s, scratch, why);
  fs::remove_all(scratch);
  if (!small_m || !large_m) return std::nullopt;
  Throughput t;
  t.small_flops_per_token = cost_per_token(small);
  t.small_tokens_per_s = mean(small_m->rates);
  t.large_flops_per_token = cost_per_token(large);
  t.large_tokens_per_s = mean(large_m->rates);
  t.startup_s = (small_m->startup_s + large_m->startup_s) / 2;
  t.spread = pooled_spread({&*small_m, &*large_m});
  t.source = log::format(
      "measured now: %d steps of %s at %.0f tok/s and of %s at %.0f tok/s, %d at once x %d "
      "thread(s) (as the sweep will run), load average %.1f before; start-up %.1f s a run",
      kSteps, small.name.c_str(), t.small_tokens_per_s, large.name.c_str(), t.large_tokens_per_s,
      copies, threads, load, t.startup_s);
  return t;
}

}  // namespace scalelab::sweep
