// scalelab predict --params N --tokens D [--law kaplan|chinchilla|epoch|fits.json]
// scalelab predict --law FITS.json --schedule KIND --steps N --lr X | --config CONFIG (multipower)
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analysis/laws.h"
#include "cli/commands.h"
#include "cli/multipower_cli.h"
#include "cli/output.h"

namespace scalelab::cli {

void add_predict_command(CLI::App& app) {
  struct Options {
    double params = 0, tokens = 0;
    std::vector<std::string> laws;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("predict", "Predicted loss for N parameters trained on D tokens");
  cmd->add_option("--params", opts->params, "N, parameters (e.g. 70e9)")->check(FinitePositive);
  cmd->add_option("--tokens", opts->tokens, "D, training tokens (e.g. 15e12)")
      ->check(FinitePositive);
  cmd->add_option("--law", opts->laws,
                  "kaplan | chinchilla | epoch | a fits.json from `scalelab fit` (repeatable; "
                  "default: all three published laws)");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  cmd->footer("Example: scalelab predict --params 70e9 --tokens 15e12   (Llama 3 70B)");
  auto multipower = add_multipower_predict_options(cmd);
  cmd->callback([opts, multipower] {
    if (multipower->requested()) return predict_multipower(*multipower, opts->laws, opts->json);
    if (!(opts->params > 0) || !(opts->tokens > 0))
      throw std::runtime_error(
          "predict: --params and --tokens are required (or --law FITS.json with --schedule or "
          "--config for a multipower loss curve)");
    auto names =
        opts->laws.empty() ? std::vector<std::string>{"kaplan", "chinchilla", "epoch"} : opts->laws;
    const double N = opts->params, D = opts->tokens;
    const double min_tokens = kaplan_min_tokens(N);
    nlohmann::json j = {{"params", N}, {"tokens", D}, {"kaplan_min_tokens", min_tokens}};
    if (!opts->json)
      std::printf("N = %s parameters, D = %s tokens (%.1f tokens per parameter)\n",
                  human(N).c_str(), human(D).c_str(), D / N);
    for (const auto& name : names) {
      Law law = law_by_name(name);
      double loss = law.loss(N, D);
      j["loss"][name] = loss;
      if (law.kind == Law::Kind::kaplan) {
        j["kaplan_loss_n"] = law.kaplan.loss_n(N);
        j["kaplan_loss_d"] = law.kaplan.loss_d(D);
      }
      if (opts->json) continue;
      std::printf("  %-12s L(N, D) = %.4f", name.c_str(), loss);
      if (law.kind == Law::Kind::kaplan)
        std::printf("   (L(N) = %.4f, L(D) = %.4f)", law.kaplan.loss_n(N), law.kaplan.loss_d(D));
      else
        std::printf("   (E %.4g, A %.4g, B %.4g, alpha %.4g, beta %.4g)", law.chinchilla.E,
                    law.chinchilla.A, law.chinchilla.B, law.chinchilla.alpha, law.chinchilla.beta);
      std::printf("\n");
    }
    if (opts->json) {
      std::printf("%s\n", j.dump(2).c_str());
    } else if (D < min_tokens) {
      std::printf(
          "warning: D < 5e3 N^0.74 = %s tokens: Kaplan et al. (eq. 4.4) expect overfitting\n",
          human(min_tokens).c_str());
    }
  });
}

}  // namespace scalelab::cli
