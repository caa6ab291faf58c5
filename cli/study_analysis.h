// Where `scalelab study` meets analysis/: the study's laws checked against the fitters, each
// budget's standing for the bracketing decision (the analysis's seed grouping and budget_minima,
// so that runner and report agree), the power analysis of a design, and the one fit and report of
// a study (OUT_ROOT/fits.json under the sweep's FLOP convention, the report read from it).
// experiments/ links neither LibTorch nor analysis/: this file is the one small interface between.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "experiments/study_run.h"

namespace scalelab::cli {

// Throws "FILE:LINE: study.laws: unknown law 'x' (known: ...)" for a law the fitters do not know.
void check_study_laws(const sweep::StudySpec& spec);

// Each budget's sizes, seed means and minimum from the design's finished runs; nullopt where this
// build's analysis cannot say (see the definition).
std::optional<std::vector<sweep::BudgetStanding>> study_standings(const sweep::StudyDesign& design);

// The power analysis the dry run prints: the expected spread of the headline exponent, the
// coverage of its intervals, the share of budgets bracketed, from the study's prior law and noise
// model; a line saying why not when it cannot be given.
std::string study_power_text(const sweep::StudyDesign& design);

struct StudyFit {
  std::string fits_path, report_markdown, report_html;
  std::string summary;  // the fits as `scalelab fit` prints them
};
// Fits the study's laws (and only those) to the design's runs under the sweep's FLOP convention,
// writes OUT_ROOT/fits.json (its source names the runs, the study and its bracketing), and writes
// OUT_ROOT/report/ from that file. provisional: the study is still running (between waves): the
// report says so and its HTML reloads itself every 30 s; the final report has no reload tag.
StudyFit fit_and_report_study(const sweep::StudyDesign& design, bool provisional = false);

// After a wave: the provisional fit and report of the runs finished so far, so that a user
// watching report.html sees the IsoFLOP profiles fill in. Never throws: returns the line to say
// (where the report is, or why there is none yet).
std::string refresh_live_report(const sweep::StudyDesign& design);

}  // namespace scalelab::cli
