// The study report's sections (report.h: write_report), each built from the fits as fits.json
// holds them; nothing here refits. Used only inside report/.
#pragma once

#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/inputs/fit_input.h"
#include "analysis/report/blocks.h"
#include "analysis/report/report.h"

namespace scalelab::report {

// The fit the headline quotes: the study's headline law (study.headline.law: chinchilla ->
// approach 3, approach2, approach1), else the first of approaches 3, 2, 1 that was fitted.
const FitResult* headline_fit(const std::vector<FitResult>& fits, const ReportContext& ctx);

// The title, the live banner, the headline sentence (a with its interval and what the interval
// includes, against the literature, or "not identified: <reasons>") and the commands that
// regenerate the report.
std::vector<Block> headline(const FitInput& in, const std::vector<FitResult>& fits,
                            const std::vector<std::string>& skipped, const ReportContext& ctx,
                            const std::string& out_dir);

// "<law>: not identified: <reasons>" for each allocation fit (approaches 1, 2, 3) the gate
// refused: what the allocation figure leaves out.
std::vector<std::string> unidentified_allocations(const std::vector<FitResult>& fits);

// Per budget: sizes, seeds, bracketed or not under the study's rule, the lowest seed mean, and
// approach 2's fitted minimum when it used the budget.
Block budget_table(const FitInput& in, const std::vector<FitResult>& fits,
                   const ReportContext& ctx);

// Approaches 1, 2, 3 (those fitted) side by side: a, b, N_opt and D_opt at the largest budget.
Block approaches_table(const FitInput& in, const std::vector<FitResult>& fits);

// Residuals of approach 2's parabolas (in standard errors), its lack-of-fit ratio, the noise
// model the seeded fits used.
std::vector<Block> residuals_and_noise(const std::vector<FitResult>& fits);

}  // namespace scalelab::report
