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
#include "cli/commands.h"
#include "common/text.h"

namespace scalelab::cli {
namespace {

// A plan from a fits.json is only as good as its fit: the identifiability gate (fits/identify.h)
// on the fit the plan will use, and for approach 3 the report's further checks (analysis/report/
// report.h recommend(): physical constants, N_opt above 1e3, no far extrapolation), else one line
// with every reason. Published laws pass.
void require_identified(const std::string& name, double C, bool limited) {
  if (find_enum<PublishedLaw>(name) || name == "data-constrained" || !std::ifstream(name)) return;
  const std::vector<FitResult> fits = read_fits_json(name);
  if (limited && find_fit(fits, LawId::data_constrained)) {  // plan_limited plans with it
    const LawId dc = LawId::data_constrained;
    return require_identified_law(name, "plan", &dc);
  }
  const FitResult* f = law_fit(fits);
  if (!f || f->law != LawId::chinchilla_approach3) return require_identified_law(name, "plan");
  const Recommendation r = recommend(FitInput{}, *f, C);
  if (r.identified) return;
  std::string why;
  for (const auto& w : r.why_not) why += (why.empty() ? "" : "; ") + w;
  throw std::runtime_error("--law " + name + ": no plan from this fit, it is not identified (" +
                           why +
                           "); refit with more runs or --bootstrap, as `scalelab report` advises");
}

struct PlanRow {
  std::string name;
  double N = 0, D = 0;
};

// The lr and batch each hyperparameter law gives at each plan's N and D.
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

// Past about 16 epochs the worth of further repetition has decayed by exp(-1) (R_D* ~ 15).
constexpr double kWarnEpochs = 16.0;

void plan_limited(const std::vector<std::string>& names, double C, double U,
                  const std::optional<Hparams>& tuned, bool json) {
  std::vector<PlanRow> rows;
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
      rows.push_back({name, p.params, p.tokens});
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
    rows.push_back({name, f.params, f.tokens});
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
  if (!json) {
    std::printf(
        "  (loss: each law's own prediction, fresh-data laws as if every token were new; "
        "loss with U: %s at that N and D with U unique tokens)\n",
        scorer_name.c_str());
    if (r_d_star > 0) std::printf("%s\n", explain_r_d_star(r_d_star).c_str());
    for (const auto& w : warnings) std::printf("warning: %s\n", w.c_str());
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
                  "fits.json (repeatable; default: chinchilla, epoch; with --unique-tokens: "
                  "data-constrained, chinchilla)");
  cmd->add_option("--hparams", opts->hparams,
                  "hparams.json from `scalelab tune`: also print its tuned lr (and batch) at "
                  "each plan's N");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  cmd->footer(
      "N and D minimise the law's L(N, D) subject to C = 6 N D.\n"
      "Example: scalelab plan --flops 9.26e21 --unique-tokens 25e9");
  cmd->callback([opts] {
    std::optional<Hparams> tuned;
    if (!opts->hparams.empty()) tuned = read_hparams(opts->hparams);
    for (const auto& name : opts->laws) require_identified(name, opts->flops, opts->unique > 0);
    if (opts->unique > 0) {
      plan_limited(opts->laws.empty() ? std::vector<std::string>{"data-constrained", "chinchilla"}
                                      : opts->laws,
                   opts->flops, opts->unique, tuned, opts->json);
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
    std::vector<PlanRow> rows;
    for (const auto& name : names) {
      ComputePlan p = plan_compute(law_by_name(name), opts->flops);
      rows.push_back({name, p.params, p.tokens});
      j["plans"][name] = {{"params", p.params},
                          {"tokens", p.tokens},
                          {"tokens_per_param", p.tokens_per_param},
                          {"loss", p.loss}};
      if (!opts->json)
        std::printf("  %-12s %12s %12s %14.1f %10.4f\n", name.c_str(), human(p.params).c_str(),
                    human(p.tokens).c_str(), p.tokens_per_param, p.loss);
    }
    print_hparams(rows, opts->flops, tuned, j, opts->json);
    if (opts->json) std::printf("%s\n", j.dump(2).c_str());
  });
}

}  // namespace scalelab::cli
