// scalelab plan --flops C [--law ...]: compute-optimal N and D under C = 6 N D.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analysis/laws.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace scalelab::cli {

void add_plan_command(CLI::App& app) {
  struct Options {
    double flops = 0;
    std::vector<std::string> laws;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("plan", "Compute-optimal model size and tokens for a FLOP budget");
  cmd->add_option("--flops", opts->flops, "C, training FLOPs (e.g. 1e21)")
      ->required()
      ->check(FinitePositive);
  cmd->add_option(
      "--law", opts->laws,
      "kaplan | chinchilla | epoch | fits.json (repeatable; default: chinchilla, epoch)");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  cmd->footer("N and D minimise the law's L(N, D) subject to C = 6 N D.");
  cmd->callback([opts] {
    auto names = opts->laws.empty() ? std::vector<std::string>{"chinchilla", "epoch"} : opts->laws;
    nlohmann::json j = {{"flops", opts->flops}};
    if (!opts->json) {
      std::printf("C = %s FLOPs (C = 6 N D)\n", sci(opts->flops).c_str());
      std::printf("  %-12s %12s %12s %14s %10s\n", "law", "N_opt", "D_opt", "tokens/param", "loss");
    }
    for (const auto& name : names) {
      ComputePlan p = plan_compute(law_by_name(name), opts->flops);
      j["plans"][name] = {{"params", p.params},
                          {"tokens", p.tokens},
                          {"tokens_per_param", p.tokens_per_param},
                          {"loss", p.loss}};
      if (!opts->json)
        std::printf("  %-12s %12s %12s %14.1f %10.4f\n", name.c_str(), human(p.params).c_str(),
                    human(p.tokens).c_str(), p.tokens_per_param, p.loss);
    }
    if (opts->json) std::printf("%s\n", j.dump(2).c_str());
  });
}

}  // namespace scalelab::cli
