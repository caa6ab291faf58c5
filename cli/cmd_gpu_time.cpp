// scalelab gpu-time: wall-clock days for a training budget on K accelerators.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analysis/laws/laws.h"
#include "cli/commands.h"
#include "common/text.h"
#include "core/hardware.h"

namespace scalelab::cli {

namespace {
// What large runs measure, not the peak: PaLM 540B 46.2% (Chowdhery et al. 2022, Table 3),
// Llama 3 405B 38-43% in BF16 (Dubey et al. 2024, Table 4), MegaScale 55.2% (Jiang et al. 2024).
// 100% would promise a time no run achieves.
constexpr double kDefaultMfu = 0.40;
}  // namespace

void add_gpu_time_command(CLI::App& app) {
  struct Options {
    double flops = 0, params = 0, tokens = 0, count = 1, mfu = kDefaultMfu;
    std::string gpu = "h100", precision = "bf16";
    bool sparse = false, json = false;
  };
  auto opts = std::make_shared<Options>();
  std::string gpus;
  for (const auto& g : kGpuPeaks) gpus += (gpus.empty() ? "" : "|") + std::string(g.key);
  auto* cmd = app.add_subcommand("gpu-time", "Wall-clock days to train a budget on K GPUs");
  auto* f = cmd->add_option("--flops", opts->flops, "C, training FLOPs")->check(FinitePositive);
  auto* n = cmd->add_option("--params", opts->params, "N (with --tokens; C = 6 N D)")
                ->check(FinitePositive);
  auto* d = cmd->add_option("--tokens", opts->tokens, "D (with --params)")->check(FinitePositive);
  f->excludes(n)->excludes(d);
  n->needs(d);
  d->needs(n);
  cmd->add_option("--gpu", opts->gpu, "Accelerator: " + gpus)->capture_default_str();
  cmd->add_option("--count", opts->count, "Number of accelerators")->check(FinitePositive);
  auto* mfu = cmd->add_option("--mfu", opts->mfu,
                              "Model FLOPs utilisation in (0, 1]; default 0.4, what large runs "
                              "reach (PaLM 46%, Llama 3 405B 38-43%); 1 = the peak")
                  ->check(FiniteRange(1e-6, 1.0));
  cmd->add_option("--precision", opts->precision, "fp32 | tf32 | bf16 | fp16 | fp8")
      ->capture_default_str();
  cmd->add_flag("--sparse", opts->sparse, "Use the 2:4 structured-sparsity peak (2x dense)");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  cmd->footer(
      "MFU defaults to 40%, what large training runs measure; the time at the peak is --mfu 1.\n"
      "Example: scalelab gpu-time --params 1.7e12 --tokens 13e12 --gpu a100 --count 25000 "
      "--precision fp16 --sparse --mfu 1");
  cmd->callback([opts, gpus, mfu] {
    if (opts->flops == 0 && opts->params == 0)
      throw std::runtime_error("gpu-time: give --flops C, or --params N with --tokens D");
    double C = opts->flops > 0 ? opts->flops : 6.0 * opts->params * opts->tokens;
    auto gpu = find_gpu(opts->gpu);
    if (!gpu)
      throw std::runtime_error("--gpu " + opts->gpu + ": unknown accelerator (known: " + gpus +
                               ")");
    double peak = peak_flops(*gpu, opts->precision, opts->sparse);
    if (peak <= 0)
      throw std::runtime_error("--precision " + opts->precision + ": not supported on " +
                               opts->gpu + " (use fp32, tf32, bf16, fp16 or fp8)");
    double days = gpu_days(C, peak, opts->count, opts->mfu);
    if (opts->json) {
      nlohmann::json j = {{"flops", C},           {"gpu", opts->gpu},
                          {"count", opts->count}, {"peak_flops_per_gpu", peak},
                          {"mfu", opts->mfu},     {"mfu_is_default", mfu->count() == 0},
                          {"days", days}};
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf("C = %s FLOPs on %g x %s at %s FLOP/s each (%s%s), MFU %.0f%%%s\n", sci(C).c_str(),
                opts->count, opts->gpu.c_str(), sci(peak).c_str(), opts->precision.c_str(),
                opts->sparse ? ", sparse" : "", 100 * opts->mfu,
                mfu->count() ? ""
                             : " (the default: what large runs reach, PaLM 46%, Llama 3 405B "
                               "38-43%; --mfu to change)");
    std::printf("  %.1f days (%.2f years, %s GPU-hours)\n", days, days / 365.25,
                human(days * 24 * opts->count).c_str());
  });
}

}  // namespace scalelab::cli
