// scalelab plan --flops C [--unique-tokens U] [--law ...]: compute-optimal N and D under C = 6 N D;
// with U, under the data-constrained law (Muennighoff et al. 2023) next to the fresh-data answers.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analysis/data_constrained.h"
#include "analysis/laws.h"
#include "cli/commands.h"
#include "cli/output.h"

namespace scalelab::cli {
namespace {

// Past about 16 epochs the worth of further repetition has decayed by exp(-1) (R_D* ~ 15).
constexpr double kWarnEpochs = 16.0;

void plan_limited(const std::vector<std::string>& names, double C, double U, bool json) {
  nlohmann::json j = {{"flops", C}, {"unique_tokens", U}};
  // The data-constrained law that scores the fresh-data plans: the first one named, else the
  // published one.
  DataConstrainedLaw scorer = DataConstrainedLaw::muennighoff();
  std::string scorer_name = "data-constrained";
  for (const auto& name : names)
    if (names_data_constrained_law(name)) {
      scorer = data_constrained_law_by_name(name), scorer_name = name;
      break;
    }
  for (const auto& name : names)  // unknown names fail before anything is printed
    if (!names_data_constrained_law(name)) law_by_name(name);
  if (!json) {
    std::printf("C = %s FLOPs (C = 6 N D), U = %s unique tokens\n", sci(C).c_str(),
                human(U).c_str());
    std::printf("  %-28s %9s %9s %8s %13s %8s %11s\n", "law", "N_opt", "D_opt", "epochs",
                "tokens/param", "loss", "loss with U");
  }
  auto row = [&](const std::string& label, double N, double D, const char* loss_text,
                 double loss_u) {
    std::printf("  %-28s %9s %9s %8.2f %13.1f %8s %11.4f\n", label.c_str(), human(N).c_str(),
                human(D).c_str(), D / U, D / N, loss_text, loss_u);
  };
  std::vector<std::string> warnings;
  double r_d_star = 0;
  for (const auto& name : names) {
    if (names_data_constrained_law(name)) {
      const DataConstrainedLaw law = data_constrained_law_by_name(name);
      const DataConstrainedPlan p = plan_data_constrained(law, C, U);
      Law fresh_law;
      fresh_law.chinchilla = law.base;
      const ComputePlan f = plan_compute(fresh_law, C);
      const double f_loss_u = law.loss(f.params, f.tokens, U);
      j["plans"][name] = {{"params", p.params},
                          {"tokens", p.tokens},
                          {"tokens_per_param", p.tokens / p.params},
                          {"epochs", p.epochs},
                          {"loss", p.loss},
                          {"R_D_star", law.R_D_star},
                          {"R_N_star", law.R_N_star},
                          {"fresh_data_plan",
                           {{"params", f.params},
                            {"tokens", f.tokens},
                            {"epochs", f.tokens / U},
                            {"loss_fresh", f.loss},
                            {"loss_with_u", f_loss_u}}}};
      if (r_d_star == 0) r_d_star = law.R_D_star;
      if (p.epochs > kWarnEpochs) {
        char buf[320];
        std::snprintf(buf, sizeof buf,
                      "%s: the plan repeats the %s unique tokens %.1f times (> %.0f epochs); "
                      "repeated data is then worth little (R_D* = %.3g): more unique data would "
                      "do better than more epochs",
                      name.c_str(), human(U).c_str(), p.epochs, kWarnEpochs, law.R_D_star);
        warnings.push_back(buf);
      }
      if (json) continue;
      char loss[16];
      std::snprintf(loss, sizeof loss, "%.4f", p.loss);
      row(name, p.params, p.tokens, loss, p.loss);
      std::snprintf(loss, sizeof loss, "%.4f", f.loss);
      row("  same law, fresh data", f.params, f.tokens, loss, f_loss_u);
      continue;
    }
    const ComputePlan f = plan_compute(law_by_name(name), C);
    const double loss_u = scorer.loss(f.params, f.tokens, U);
    j["plans"][name] = {
        {"params", f.params},     {"tokens", f.tokens},   {"tokens_per_param", f.tokens_per_param},
        {"epochs", f.tokens / U}, {"loss_fresh", f.loss}, {"loss_with_u", loss_u}};
    if (json) continue;
    char loss[16];
    std::snprintf(loss, sizeof loss, "%.4f", f.loss);
    row(name + " (fresh data)", f.params, f.tokens, loss, loss_u);
  }
  j["warnings"] = warnings;
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf(
      "  (loss: each law's own prediction, fresh-data laws as if every token were new; "
      "loss with U: %s at that N and D with U unique tokens)\n",
      scorer_name.c_str());
  if (r_d_star > 0) std::printf("%s\n", explain_r_d_star(r_d_star).c_str());
  for (const auto& w : warnings) std::printf("warning: %s\n", w.c_str());
}

}  // namespace

void add_plan_command(CLI::App& app) {
  struct Options {
    double flops = 0, unique = 0;
    std::vector<std::string> laws;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("plan", "Compute-optimal model size and tokens for a FLOP budget");
  cmd->add_option("--flops", opts->flops, "C, training FLOPs (e.g. 1e21)")
      ->required()
      ->check(FinitePositive);
  cmd->add_option("--unique-tokens", opts->unique,
                  "U, unique tokens available: plan under the data-constrained law (Muennighoff "
                  "et al. 2023), with the epochs it implies")
      ->check(FinitePositive);
  cmd->add_option("--law", opts->laws,
                  "kaplan | chinchilla | epoch | data-constrained (needs --unique-tokens) | "
                  "fits.json (repeatable; default: chinchilla, epoch; with --unique-tokens: "
                  "data-constrained, chinchilla)");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  cmd->footer(
      "N and D minimise the law's L(N, D) subject to C = 6 N D.\n"
      "Example: scalelab plan --flops 9.26e21 --unique-tokens 25e9");
  cmd->callback([opts] {
    if (opts->unique > 0) {
      plan_limited(opts->laws.empty() ? std::vector<std::string>{"data-constrained", "chinchilla"}
                                      : opts->laws,
                   opts->flops, opts->unique, opts->json);
      return;
    }
    auto names = opts->laws.empty() ? std::vector<std::string>{"chinchilla", "epoch"} : opts->laws;
    for (const auto& name : names)
      if (name == "data-constrained")  // a fits.json is read for its fresh-data fit
        throw std::runtime_error("--law " + name +
                                 ": the data-constrained law needs --unique-tokens U");
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
