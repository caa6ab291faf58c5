// `scalelab report`: report.md and a self-contained report.html (figures embedded as base64) with
// the run table, the fits with their intervals, the figures and a plain-language summary that says
// when the data cannot support a conclusion.
#pragma once

#include <nlohmann/json.hpp>
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

// What a report knows beyond its fits: fits.json's source.study (a study's claim, headline law and
// why, file, bracketing rule, study_state.json) and whether that study is still running. A live
// report says its numbers are provisional and its HTML reloads itself every refresh_s seconds, so
// that a user watches the IsoFLOP profiles fill in; the final report has no reload tag.
struct ReportContext {
  nlohmann::json study;   // fits.json source.study; null for a sweep fitted by `scalelab fit`
  std::string fits_path;  // the fits.json the report reads ("" when fitted in memory)
  bool live = false;
  std::string phase;  // study_state.json's phase and wave, for the live banner
  int wave = 0;
  int refresh_s = 30;
};
// Reads fits_path's source.study and the study_state.json it names (when it exists): live unless
// its phase is "fitted". Throws naming the file when fits_path is not JSON.
ReportContext read_report_context(const std::string& fits_path);

// The report, headline first (issue 25 item 7): the claim, the headline estimate with its 95%
// interval and the command that regenerates it; the IsoFLOP profiles; N_opt(C) and D_opt(C) of the
// identified fits (the others named with their reasons, never drawn); the per-budget table;
// approaches 2 and 3 side by side; findings and caveats; diagnostics last. It reads the fits given
// (a fits.json) and never refits.
ReportFiles write_report(const FitInput& in, const std::vector<FitResult>& fits,
                         const std::vector<std::string>& skipped, const std::string& out_dir,
                         const ReportContext& context = {});

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
