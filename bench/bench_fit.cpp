// Times Chinchilla approach 3 on the 240 published points, its two searches side by side: the
// 4,500-start L-BFGS grid and variable projection (fits/varpro.h), each alone and with the
// bootstrap. Prints one JSON object (raw measurements) on stdout.
//   bench_fit CSV [--bootstrap N] [--threads T] [--repeat R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "analysis/fits/approach3.h"
#include "analysis/fits/varpro.h"

using namespace scalelab;
using clk = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: bench_fit chinchilla_fig4_epoch.csv [--bootstrap N] [--threads T] [--repeat R]\n");
    return 2;
  }
  int n_boot = 1000, n_threads = 0, repeat = 3;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--bootstrap"))
      n_boot = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads"))
      n_threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeat"))
      repeat = std::atoi(argv[i + 1]);
  }
  CsvColumns cols;
  cols.n = "Model Size";
  cols.c = "Training FLOP";
  auto pts = read_csv_points(argv[1], cols);
  std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a.loss > b.loss; });
  pts.erase(pts.begin(), pts.begin() + 5);  // as Besiroglu et al. 2024

  nlohmann::json out = {{"benchmark", "chinchilla_approach3"},
                        {"n_points", pts.size()},
                        {"n_starts", 4500},
                        {"threads", n_threads},
                        {"hardware_concurrency", std::thread::hardware_concurrency()}};
  std::vector<double> fit_s;
  Approach3Fit fit;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = clk::now();
    fit = fit_approach3(pts, 1e-3, n_threads);
    fit_s.push_back(std::chrono::duration<double>(clk::now() - t0).count());
  }
  out["fit_seconds"] = fit_s;
  out["fit"] = {{"E", fit.law.E},         {"A", fit.law.A},       {"B", fit.law.B},
                {"alpha", fit.law.alpha}, {"beta", fit.law.beta}, {"objective", fit.objective}};
  std::vector<double> vp_s;
  VarProFit vp;
  VarProOptions vo;
  vo.n_threads = n_threads;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = clk::now();
    vp = fit_varpro(varpro_data(pts), vo);
    vp_s.push_back(std::chrono::duration<double>(clk::now() - t0).count());
  }
  out["varpro_fit_seconds"] = vp_s;
  out["varpro_fit"] = {{"E", vp.E},
                       {"A", vp.A},
                       {"B", vp.B},
                       {"alpha", vp.alpha},
                       {"beta", vp.beta},
                       {"objective", vp.objective},
                       {"profile_evaluations", vp.profile_evaluations}};
  if (n_boot > 0) {
    out["bootstrap_resamples"] = n_boot;
    for (auto method : {Approach3Method::grid, Approach3Method::varpro}) {
      FitOptions opts{n_boot, 0, n_threads};
      opts.approach3_method = method;
      auto t0 = clk::now();
      FitResult full = chinchilla_approach3(pts, opts);
      auto& o = out[method == Approach3Method::grid ? "grid" : "varpro"];
      o["fit_plus_bootstrap_seconds"] = std::chrono::duration<double>(clk::now() - t0).count();
      o["bootstrap_failed"] = full.procedure["bootstrap"]["failed"];
      for (const auto& p : full.params) o["ci95"][p.name] = {p.lo, p.hi};
    }
  }
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
