// scalelab predict --params N --tokens D [--unique-tokens U]
//   [--law kaplan|chinchilla|epoch|data-constrained|fits.json]
// scalelab predict --law FITS.json --schedule KIND --steps N --lr X | --config CONFIG (multipower)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/fits/fitted_laws.h"
#include "analysis/laws/data_constrained_law.h"
#include "analysis/laws/laws.h"
#include "cli/cmd_plan.h"
#include "cli/commands.h"
#include "cli/multipower_cli.h"
#include "common/text.h"

namespace scalelab::cli {
namespace {

// A fits.json fit that `plan` refuses at C = 6 N D predicts nothing either (issue 26: predict
// once printed a loss from a fit plan refused): the same checks, one line.
void require_plannable(const std::string& name, double C) {
  if (find_enum<PublishedLaw>(name) || !std::ifstream(name)) return;
  const std::vector<FitResult> fits = read_fits_json(name);
  const FitResult* f = law_fit(fits);
  if (!f) return;
  const auto why = reasons_not_to_plan(*f, C);
  if (why.empty()) return;
  std::string text;
  for (const auto& w : why) text += (text.empty() ? "" : "; ") + w;
  throw std::runtime_error(
      "--law " + name + ": no prediction from this fit, it is not identified (" +
      enum_name(f->law) + ": " + text + "), and `scalelab plan` refuses it too");
}

}  // namespace

void add_predict_command(CLI::App& app) {
  struct Options {
    double params = 0, tokens = 0, unique = 0;
    std::vector<std::string> laws;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("predict", "Predicted loss for N parameters trained on D tokens");
  cmd->add_option("--params", opts->params, "N, parameters (e.g. 70e9)")->check(FinitePositive);
  cmd->add_option("--tokens", opts->tokens, "D, training tokens (e.g. 15e12)")
      ->check(FinitePositive);
  cmd->add_option("--unique-tokens", opts->unique,
                  "U, unique tokens the D tokens are drawn from (repeated D / U times); enables "
                  "the data-constrained law")
      ->check(FinitePositive);
  cmd->add_option("--law", opts->laws,
                  "kaplan | chinchilla | epoch | data-constrained (needs --unique-tokens) | a "
                  "fits.json from `scalelab fit` (repeatable; default: the three fresh-data laws, "
                  "or data-constrained and chinchilla with --unique-tokens)");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  cmd->footer(
      "Example: scalelab predict --params 70e9 --tokens 15e12   (Llama 3 70B)\n"
      "         scalelab predict --params 8.67e9 --tokens 178e9 --unique-tokens 25e9");
  auto multipower = add_multipower_predict_options(cmd);
  cmd->callback([opts, multipower] {
    // A file that is not there is named as such (the law names would only confuse).
    for (const auto& name : opts->laws)
      if (!find_enum<PublishedLaw>(name) && name != "data-constrained" &&
          !std::filesystem::exists(name) &&
          (name.find('/') != std::string::npos || name.find(".json") != std::string::npos))
        throw std::runtime_error("--law " + name + ": no such file");
    if (multipower->requested()) return predict_multipower(*multipower, opts->laws, opts->json);
    if (!(opts->params > 0) || !(opts->tokens > 0))
      throw std::runtime_error(
          "predict: --params and --tokens are required (or --law FITS.json with --schedule or "
          "--config for a multipower loss curve)");
    const bool limited = opts->unique > 0;
    auto names = !opts->laws.empty() ? opts->laws
                 : limited           ? std::vector<std::string>{"data-constrained", "chinchilla"}
                                     : std::vector<std::string>{"kaplan", "chinchilla", "epoch"};
    const double N = opts->params, D = opts->tokens, U = opts->unique;
    const double min_tokens = kaplan_min_tokens(N);
    nlohmann::json j = {{"params", N}, {"tokens", D}, {"kaplan_min_tokens", min_tokens}};
    // Every law is resolved before anything is printed, so a bad one gives one line.
    for (const auto& name : names) {
      if (limited ? names_data_constrained_law(name) : name == "data-constrained") {
        if (!limited)
          throw std::runtime_error("--law " + name +
                                   ": the data-constrained law needs --unique-tokens U");
      } else {
        law_by_name(name);
      }
      // A fit that is not identified predicts nothing (fits/identify.h).
      if (limited && names_data_constrained_law(name)) {
        const LawId dc = LawId::data_constrained;
        require_identified_law(name, "prediction", &dc);
      } else {
        require_identified_law(name, "prediction");
        require_plannable(name, 6 * N * D);
      }
    }
    if (limited) {
      j["unique_tokens"] = U;
      j["epochs"] = D / U;
      j["repetitions"] = DataConstrainedLaw::repetitions(D, U);
    }
    if (!opts->json) {
      std::printf("N = %s parameters, D = %s tokens (%.1f tokens per parameter)\n",
                  human(N).c_str(), human(D).c_str(), D / N);
      if (limited)
        std::printf("U = %s unique tokens: %.2f epochs (R_D = %.2f repetitions)\n",
                    human(U).c_str(), D / U, DataConstrainedLaw::repetitions(D, U));
    }
    double r_d_star = 0;
    for (const auto& name : names) {
      // Without U a fits.json is read for its fresh-data fit (law_by_name).
      if (limited ? names_data_constrained_law(name) : name == "data-constrained") {
        const DataConstrainedLaw law = data_constrained_law_by_name(name);
        const double loss = law.loss(N, D, U), fresh = law.base.loss(N, D);
        const double d_eff = law.effective_data(D, U), n_eff = law.effective_params(N, D, U);
        j["loss"][name] = loss;
        j["data_constrained"][name] = {{"effective_tokens", d_eff},
                                       {"effective_params", n_eff},
                                       {"fresh_data_loss", fresh},
                                       {"R_D_star", law.R_D_star},
                                       {"R_N_star", law.R_N_star}};
        if (r_d_star == 0) r_d_star = law.R_D_star;
        if (opts->json) continue;
        std::printf(
            "  %-16s L(N, D, U) = %.4f   (D' = %s effective tokens, N' = %s effective "
            "parameters; R_D* %.4g, R_N* %.4g; fresh data: %.4f)\n",
            name.c_str(), loss, human(d_eff).c_str(), human(n_eff).c_str(), law.R_D_star,
            law.R_N_star, fresh);
        continue;
      }
      Law law = law_by_name(name);
      double loss = law.loss(N, D);
      j["loss"][name] = loss;
      if (law.kind == Law::Kind::kaplan) {
        j["kaplan_loss_n"] = law.kaplan.loss_n(N);
        j["kaplan_loss_d"] = law.kaplan.loss_d(D);
      }
      if (opts->json) continue;
      std::printf("  %-16s L(N, D) = %.4f", name.c_str(), loss);
      if (law.kind == Law::Kind::kaplan)
        std::printf("   (L(N) = %.4f, L(D) = %.4f)", law.kaplan.loss_n(N), law.kaplan.loss_d(D));
      else
        std::printf("   (E %.4g, A %.4g, B %.4g, alpha %.4g, beta %.4g)", law.chinchilla.E,
                    law.chinchilla.A, law.chinchilla.B, law.chinchilla.alpha, law.chinchilla.beta);
      std::printf(limited ? "  (assumes fresh data)\n" : "\n");
    }
    if (opts->json) {
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    if (r_d_star > 0) std::printf("%s\n", explain_r_d_star(r_d_star).c_str());
    if (D < min_tokens)
      std::printf(
          "warning: D < 5e3 N^0.74 = %s tokens: Kaplan et al. (eq. 4.4) expect overfitting\n",
          human(min_tokens).c_str());
  });
}

}  // namespace scalelab::cli
