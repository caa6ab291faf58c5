// `scalelab report`: report.md and a self-contained report.html (figures embedded as base64) with
// the run table, the fits with their intervals, the figures and a plain-language summary that says
// when the data cannot support a conclusion.
#pragma once

#include <string>
#include <vector>

#include "analysis/fit_laws.h"
#include "analysis/plots.h"

namespace scalelab {

struct ReportFiles {
  std::string markdown, html;
  std::vector<Figure> figures;
};

ReportFiles write_report(const FitInput& in, const std::vector<FitResult>& fits,
                         const std::vector<std::string>& skipped, const std::string& out_dir);

// The plain-language findings and caveats, one sentence per entry.
std::vector<std::string> plain_summary(const FitInput& in, const std::vector<FitResult>& fits,
                                       const std::vector<std::string>& skipped);

// RFC 4648 base64 (for data: URIs).
std::string base64(const std::string& bytes);

}  // namespace scalelab
