// scalelab plan --flops C [--unique-tokens U] [--law ...] [--hparams FILE]: compute-optimal N and
// D under C = 6 N D; with U, under the data-constrained law (Muennighoff et al. 2023) next to the
// fresh-data answers; then the peak lr and batch that published laws (and a tuned hparams.json)
// give at each plan's N and D.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "analysis/fits/fitted_laws.h"
#include "analysis/laws/data_constrained_law.h"
#include "analysis/laws/hparam_laws.h"
#include "analysis/laws/laws.h"
#include "analysis/report/report.h"
#include "cli/cmd_plan.h"
#include "cli/commands.h"
#include "common/text.h"

namespace scalelab::cli {

void print_hparams(const std::vector<PlanRow>& rows, double C, const std::optional<Hparams>& tuned,
                   nlohmann::json& j, bool json) {
  if (!json)
    std::printf("peak lr and batch (tokens) at each plan's N and D:\n  %-28s %-15s %10s %10s\n",
                "plan", "law", "lr", "batch");
  std::vector<std::string> notes;
  for (const auto& row : rows) {
    std::vector<HparamPrediction> preds = {deepseek_hparams(C), step_law_hparams(row.N, row.D)};
    if (tuned) {
      preds.push_back(tuned_hparams(*tuned, row.N));
      if (row.N > kMaxExtrapolation * tuned->n_max() || row.N * kMaxExtrapolation < tuned->n_min())
        notes.push_back(row.name + ": N = " + human(row.N) + " is more than " +
                        std::to_string(int(kMaxExtrapolation)) + "x outside the sizes " +
                        tuned->path + " was tuned on (" + human(tuned->n_min()) + " to " +
                        human(tuned->n_max()) + "): its lr is an extrapolation");
    }
    for (const auto& p : preds) {
      j["plans"][row.name]["hyperparameters"][p.law] = {
          {"lr", p.lr},
          {"batch_tokens", std::isfinite(p.batch_tokens) ? nlohmann::json(p.batch_tokens)
                                                         : nlohmann::json(nullptr)}};
      if (json) continue;
      std::printf("  %-28s %-15s %10.3g %10s\n", row.name.c_str(), p.law.c_str(), p.lr,
                  std::isfinite(p.batch_tokens) ? human(p.batch_tokens).c_str() : "-");
    }
  }
  j["hyperparameter_notes"] = notes;
  if (json) return;
  std::printf(
      "  (DeepSeek's C counts non-embedding FLOPs per token and Step Law's N is non-embedding; "
      "the plan's N and C = 6 N D are its own law's%s)\n",
      tuned ? std::string(", " + tuned->path + "'s N is " + tuned->params_counted).c_str() : "");
  for (const auto& n : notes) std::printf("warning: %s\n", n.c_str());
}

namespace {

// The fresh-data table: each law's (or fit's) optimum, the 20-to-1 rule beside them, where each
// comes from, and why they differ.
void plan_fresh(const std::vector<std::string>& names, double C,
                const std::optional<Hparams>& tuned, bool json) {
  for (const auto& name : names)
    if (name == "data-constrained")  // a fits.json is read for its fresh-data fit
      throw std::runtime_error("--law " + name +
                               ": the data-constrained law needs --unique-tokens U");
  // Every source is resolved (and judged) before anything is printed: a bad one is one line.
  std::vector<PlanSource> sources;
  std::vector<ComputePlan> plans;
  for (const auto& name : names) {
    sources.push_back(plan_source(name, C));
    plans.push_back(plan_from(sources.back(), C));
  }
  nlohmann::json j = {{"flops", C}};
  if (!json) {
    std::printf("C = %s FLOPs (C = 6 N D)\n", sci(C).c_str());
    std::printf("  %-24s %10s %10s %14s %10s\n", "law", "N_opt", "D_opt", "tokens/param", "loss");
  }
  auto print_row = [&](const std::string& label, const ComputePlan& p) {
    char loss[16] = "-";
    if (std::isfinite(p.loss)) std::snprintf(loss, sizeof loss, "%.4f", p.loss);
    std::printf("  %-24s %10s %10s %14s %10s\n", label.c_str(), count_text(p.params).c_str(),
                count_text(p.tokens).c_str(), ratio_text(p.tokens_per_param).c_str(), loss);
  };
  std::vector<PlanRow> rows;
  for (size_t i = 0; i < sources.size(); ++i) {
    const PlanSource& s = sources[i];
    const ComputePlan& p = plans[i];
    rows.push_back({s.name, p.params, p.tokens});
    auto& row = j["plans"][s.name];
    row = {{"params", p.params},
           {"tokens", p.tokens},
           {"tokens_per_param", p.tokens_per_param},
           {"loss", std::isfinite(p.loss) ? nlohmann::json(p.loss) : nlohmann::json(nullptr)}};
    if (!s.measured_on.empty()) row["measured_on"] = s.measured_on;
    if (!s.used.empty()) row["fit"] = s.used, row["why"] = s.why;
    if (!json) print_row(s.used.empty() ? s.name : s.name + " (" + s.used + ")", p);
  }
  const ComputePlan rule = twenty_tokens_per_param(C);
  j["rule_20_tokens_per_param"] = {{"params", rule.params}, {"tokens", rule.tokens}};
  j["why_optima_differ"] = why_optima_differ(C);
  if (!json) {
    print_row("20 tokens/param (rule)", rule);
    print_sources(sources);
    std::printf("%s\n", why_optima_differ(C).c_str());
  }
  print_hparams(rows, C, tuned, j, json);
  if (json) std::printf("%s\n", j.dump(2).c_str());
}

}  // namespace

void add_plan_command(CLI::App& app) {
  struct Options {
    double flops = 0, unique = 0;
    std::vector<std::string> laws;
    std::string hparams;
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
                  "fits.json: its first identified fit of approach 3, 2, 1, kaplan_nd, "
                  "data_constrained, named in the output (repeatable; default: chinchilla, epoch; "
                  "with --unique-tokens: data-constrained, chinchilla)");
  cmd->add_option("--hparams", opts->hparams,
                  "hparams.json from `scalelab tune`: also print its tuned lr (and batch) at "
                  "each plan's N");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  cmd->footer(
      "N and D minimise the law's L(N, D) subject to C = 6 N D (closed forms: Hoffmann et al.\n"
      "2022 eq. 4, Kaplan et al. 2020 eq. 1.5); approaches 1 and 2 give N_opt = k_N C^a directly.\n"
      "Published laws' losses are on their own data (printed with each); the 20-tokens-per-\n"
      "parameter rule is printed beside them with why the optima differ.\n"
      "Examples: scalelab plan --flops 1e21\n"
      "          scalelab plan --flops 1e21 --law fits/isoflop/fits.json\n"
      "          scalelab plan --flops 9.26e21 --unique-tokens 25e9");
  cmd->callback([opts] {
    std::optional<Hparams> tuned;
    if (!opts->hparams.empty()) tuned = read_hparams(opts->hparams);
    if (opts->unique > 0) {
      plan_limited(opts->laws.empty() ? std::vector<std::string>{"data-constrained", "chinchilla"}
                                      : opts->laws,
                   opts->flops, opts->unique, tuned, opts->json);
      return;
    }
    plan_fresh(opts->laws.empty() ? std::vector<std::string>{"chinchilla", "epoch"} : opts->laws,
               opts->flops, tuned, opts->json);
  });
}

}  // namespace scalelab::cli
