// scalelab plan --unique-tokens U: the data-constrained plan (Muennighoff et al. 2023) beside each
// fresh-data law's plan, scored with U unique tokens.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analysis/fits/fitted_laws.h"
#include "analysis/laws/data_constrained_law.h"
#include "cli/cmd_plan.h"
#include "common/text.h"

namespace scalelab::cli {
namespace {

// Past about 16 epochs the worth of further repetition has decayed by exp(-1) (R_D* ~ 15).
constexpr double kWarnEpochs = 16.0;

// The same law when every token is fresh: its E, A, B, alpha, beta.
Law fresh_data_law(const DataConstrainedLaw& law) {
  Law fresh;
  fresh.name = "the fresh-data law";
  fresh.chinchilla = law.base;
  return fresh;
}

}  // namespace

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
  // Every source is resolved and judged before anything is printed: a bad one is one line.
  std::vector<PlanSource> sources;
  for (const auto& name : names) {
    if (names_data_constrained_law(name)) {
      const LawId dc = LawId::data_constrained;
      require_identified_law(name, "plan", &dc);
      PlanSource s;
      s.name = name;
      s.measured_on = published_data(name);
      sources.push_back(s);
    } else {
      sources.push_back(plan_source(name, C));
    }
  }
  // A plan that cannot be made (an optimum at a bound) fails here, before any output.
  for (const auto& source : sources) {
    if (source.law || source.allocation) {
      plan_from(source, C);
    } else {
      const DataConstrainedLaw law = data_constrained_law_by_name(source.name);
      plan_data_constrained(law, C, U);
      plan_compute(fresh_data_law(law), C);
    }
  }
  if (!json) {
    std::printf("C = %s FLOPs (C = 6 N D), U = %s unique tokens\n", sci(C).c_str(),
                human(U).c_str());
    std::printf("  %-28s %9s %9s %8s %13s %8s %11s\n", "law", "N_opt", "D_opt", "epochs",
                "tokens/param", "loss", "loss with U");
  }
  auto row = [&](const std::string& label, double N, double D, double loss, double loss_u) {
    char loss_text[16] = "-";
    if (std::isfinite(loss)) std::snprintf(loss_text, sizeof loss_text, "%.4f", loss);
    std::printf("  %-28s %9s %9s %8s %13s %8s %11.4f\n", label.c_str(), count_text(N).c_str(),
                count_text(D).c_str(), ratio_text(D / U).c_str(), ratio_text(D / N).c_str(),
                loss_text, loss_u);
  };
  std::vector<std::string> warnings;
  double r_d_star = 0;
  for (const auto& source : sources) {
    const std::string& name = source.name;
    if (!source.law && !source.allocation) {  // a data-constrained law
      const DataConstrainedLaw law = data_constrained_law_by_name(name);
      const DataConstrainedPlan p = plan_data_constrained(law, C, U);
      const ComputePlan f = plan_compute(fresh_data_law(law), C);
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
                      "%s: the plan repeats the %s unique tokens %s times (> %.0f epochs); "
                      "repeated data is then worth little (R_D* = %.3g): more unique data would "
                      "do better than more epochs",
                      name.c_str(), count_text(U).c_str(), ratio_text(p.epochs).c_str(),
                      kWarnEpochs, law.R_D_star);
        warnings.push_back(buf);
      }
      if (p.on_plateau)
        warnings.push_back(
            name + ": at C = " + sci(C) + " the loss is on the law's floor for U = " +
            count_text(U) + " unique tokens (E + " + sci(law.plateau_reducible_loss(U)) +
            ", to 1e-6): many splits of C give it, so this N is one of them, and more compute "
            "buys nothing; only more unique data would");
      j["plans"][name]["on_plateau"] = p.on_plateau;
      if (!source.measured_on.empty()) j["plans"][name]["measured_on"] = source.measured_on;
      if (json) continue;
      row(name, p.params, p.tokens, p.loss, p.loss);
      row("  same law, fresh data", f.params, f.tokens, f.loss, f_loss_u);
      continue;
    }
    const ComputePlan f = plan_from(source, C);
    rows.push_back({name, f.params, f.tokens});
    const double loss_u = scorer.loss(f.params, f.tokens, U);
    j["plans"][name] = {
        {"params", f.params},
        {"tokens", f.tokens},
        {"tokens_per_param", f.tokens_per_param},
        {"epochs", f.tokens / U},
        {"loss_fresh", std::isfinite(f.loss) ? nlohmann::json(f.loss) : nlohmann::json(nullptr)},
        {"loss_with_u", loss_u}};
    if (!source.measured_on.empty()) j["plans"][name]["measured_on"] = source.measured_on;
    if (!source.used.empty())
      j["plans"][name]["fit"] = source.used, j["plans"][name]["why"] = source.why;
    if (json) continue;
    row((source.used.empty() ? name : name + " (" + source.used + ")") + " (fresh data)", f.params,
        f.tokens, f.loss, loss_u);
  }
  j["warnings"] = warnings;
  if (!json) {
    std::printf(
        "  (loss: each law's own prediction, fresh-data laws as if every token were new; "
        "loss with U: %s at that N and D with U unique tokens)\n",
        scorer_name.c_str());
    print_sources(sources);
    if (r_d_star > 0) std::printf("%s\n", explain_r_d_star(r_d_star).c_str());
    for (const auto& w : warnings) std::printf("warning: %s\n", w.c_str());
  }
  print_hparams(rows, C, tuned, j, json);
  if (json) std::printf("%s\n", j.dump(2).c_str());
}

}  // namespace scalelab::cli
