// What `scalelab plan` plans from (cmd_plan_sources.cpp), shared by its fresh-data table
// (cmd_plan.cpp) and its data-constrained one (cmd_plan_limited.cpp): a published law, labelled
// with the data it was measured on, or the fit of a fits.json it chose, saying which and why.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/laws/hparam_laws.h"
#include "analysis/laws/laws.h"

namespace scalelab::cli {

struct PlanSource {
  std::string name;         // as given to --law
  std::string measured_on;  // a published law: its paper and data; empty for a fits.json
  std::optional<Law> law;   // an L(N, D) law: published, approach 3, kaplan_nd or a dc fit's base
  std::optional<FitResult> allocation;  // approach 1 or 2: N_opt = k_N C^a, no loss
  std::string used;                     // fits.json: the fit used ("chinchilla_approach2")
  std::string why;                      // fits.json: why that one, and what was passed over
};

// A published law by name, or the first fit of a fits.json that passes the identifiability gate
// (fits/identify.h, and for approaches 1-3 the report's recommend() checks at C), in the order
// approach 3, 2, 1, kaplan_nd, data_constrained. Throws one line when the name is unknown or no
// fit in the file is identified (with each fit's reasons).
PlanSource plan_source(const std::string& name, double C);

// Why `fit` gives no advice at C (empty when it does): the identifiability gate, and for
// approaches 1-3 the report's further checks (analysis/report/report.h recommend(): physical
// constants, N_opt and D_opt of at least 1e3). predict asks the same at C = 6 N D.
std::vector<std::string> reasons_not_to_plan(const FitResult& fit, double C);

// N and D under C = 6 N D (D = C / (6 N) also for approach 1, so that the plan spends C), and the
// source's predicted loss (NaN for approaches 1 and 2, which model the optimum only).
ComputePlan plan_from(const PlanSource& source, double C);

// "Hoffmann et al. 2022, MassiveText ..." for kaplan | chinchilla | epoch | data-constrained;
// empty for other names.
std::string published_data(const std::string& name);

// Prints the published laws' data, and for a fits.json which fit was used and why.
void print_sources(const std::vector<PlanSource>& sources);

// The 20-to-1 rule at C: N = sqrt(C / 120), D = 20 N (C = 6 N D with D = 20 N).
ComputePlan twenty_tokens_per_param(double C);
// One paragraph: why the 20-to-1 rule and the published approach-3 laws' optima differ, with
// each law's exponent a and tokens per parameter at C computed from its constants.
std::string why_optima_differ(double C);

// A count for a table: "1.2B" up to 1e15, "3.4e+90" beyond.
std::string count_text(double v);
// A ratio (epochs, tokens per parameter) for a table: "4.27"; "1.45e+19" beyond 1e6, "3.2e-05"
// below 0.01.
std::string ratio_text(double v);

struct PlanRow {
  std::string name;
  double N = 0, D = 0;
};
// The lr and batch each hyperparameter law gives at each plan's N and D (cmd_plan.cpp).
void print_hparams(const std::vector<PlanRow>& rows, double C, const std::optional<Hparams>& tuned,
                   nlohmann::json& j, bool json);
// plan --unique-tokens (cmd_plan_limited.cpp).
void plan_limited(const std::vector<std::string>& names, double C, double U,
                  const std::optional<Hparams>& tuned, bool json);

}  // namespace scalelab::cli
