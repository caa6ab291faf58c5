// `scalelab report`: report.md and a self-contained report.html (figures embedded as base64) with
// the run table, the fits with their intervals, the figures and a plain-language summary that says
// when the data cannot support a conclusion.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/figures/figures.h"
#include "analysis/fits/fit_result.h"
#include "analysis/inputs/fit_input.h"

namespace scalelab {

struct ReportFiles {
  std::string markdown, html;
  std::vector<Figure> figures;
};

ReportFiles write_report(const FitInput& in, const std::vector<FitResult>& fits,
                         const std::vector<std::string>& skipped, const std::string& out_dir);

// What the report may advise from a fit: the compute-optimal N and D at C, and whether the fit
// behind them is identified. It is when the fit passes the identifiability gate (fits/identify.h:
// intervals narrower than the exponents and E, no lost resamples beyond the limit, nothing at a
// search bound), the constants are in a physical range (E above kMinIrreducibleLoss, exponents
// 0.01 to 2), N_opt and D_opt are at least kMinOptimalParams, and neither C nor N_opt lies more
// than kMaxExtrapolation times beyond the runs. Otherwise why_not lists each failed check, in
// words.
constexpr double kMinIrreducibleLoss = 1e-3;
constexpr double kMinOptimalParams = 1e3;
constexpr double kMaxExtrapolation = 10;
struct Recommendation {
  LawId law = LawId::chinchilla_approach3;
  double C = 0, N = 0, D = 0;
  bool identified = false;
  std::vector<std::string> why_not;
};
// f: chinchilla_approach3 (E, A, B, alpha, beta, a) or approach 1/2 (a, k_N).
Recommendation recommend(const FitInput& in, const FitResult& f, double C);

// The FLOP convention a report's C should be under when the user names none: the one the fits
// used (their data.flop_convention, e.g. from fits.json), else the one the sweep's budgets were
// set in (the runs' config.train.flop_convention, the most common one); nullopt when neither says.
// `why` gets a sentence for the report.
std::optional<FlopConvention> report_flop_convention(const FitInput& in,
                                                     const std::vector<FitResult>& fits,
                                                     std::string* why);

// The plain-language findings and caveats, one sentence per entry.
std::vector<std::string> plain_summary(const FitInput& in, const std::vector<FitResult>& fits,
                                       const std::vector<std::string>& skipped);

// RFC 4648 base64 (for data: URIs).
std::string base64(const std::string& bytes);

}  // namespace scalelab
