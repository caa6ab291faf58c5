#include "cli/study_analysis.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "analysis/fits/fit_laws.h"
#include "analysis/report/report.h"
#include "cli/fits_source.h"
#include "common/checked_io.h"

namespace scalelab::cli {
namespace fs = std::filesystem;
namespace {

ParamCount study_count(const sweep::StudySpec& spec) {
  return spec.params_counted == "total" ? ParamCount::total : ParamCount::non_embedding;
}

// The design's finished runs, read under the sweep's FLOP convention, restricted to the design.
FitInput design_input(const sweep::StudyDesign& d) {
  RunReadOptions ro;
  ro.flop_convention = parse_enum<FlopConvention>(d.flop_convention, "flop convention");
  ro.allow_missing_summary = true;
  FitInput in = load_fit_input(d.out_root, {}, ro, study_count(d.spec));
  std::vector<std::string> names;
  for (const auto& r : d.runs) names.push_back(r.name);
  restrict_fit_input(in, names, "not part of the study's design");
  return in;
}

nlohmann::json study_record(const sweep::StudyDesign& d) {
  const sweep::StudySpec& s = d.spec;
  nlohmann::json laws = nlohmann::json::array();
  for (const auto& l : s.laws) laws.push_back(l.name);
  const nlohmann::json state = sweep::study_state_json(d.state);
  return {{"file", s.path},
          {"claim", s.claim},
          {"laws", laws},
          {"headline", {{"law", s.headline.name}, {"why", s.headline_why}}},
          {"bootstrap",
           {{"resamples", s.bootstrap},
            {"max_failed_share", s.max_failed_share},
            {"seed", s.bootstrap_seed}}},
          {"bracketing",
           {{"each_side", s.bracketing.each_side},
            {"max_added", s.bracketing.max_added},
            {"bracketed", state["bracketed"]},
            {"unbracketed", state["unbracketed"]}}},
          {"study_state", (fs::path(d.out_root) / "study_state.json").string()}};
}

}  // namespace

void check_study_laws(const sweep::StudySpec& spec) {
  for (const auto& l : spec.laws) {
    const auto law = find_enum<FitLaw>(l.name);
    if (!law || *law == FitLaw::all || *law == FitLaw::multipower) {
      std::string known;
      for (const auto& [v, name] : EnumNames<FitLaw>::values)
        if (v != FitLaw::all && v != FitLaw::multipower)
          known += (known.empty() ? "" : ", ") + std::string(name);
      throw std::runtime_error(l.where + ": study.laws: unknown law '" + l.name +
                               "' (a study fits named laws: " + known + ")");
    }
  }
}

std::optional<std::vector<sweep::BudgetStanding>> study_standings(const sweep::StudyDesign&) {
  // To wire once analysis/fits/budget_minima.h (branch study-fit) is in: the design's runs
  // (design_input(d)) grouped by seed and each budget's minimum, field for field into
  // sweep::BudgetStanding. Until then this build cannot say where a budget's minimum lies, and
  // the runner does not guess (issue 25: runner and report decide from one function).
  return std::nullopt;
}

std::string study_power_text(const sweep::StudyDesign& d) {
  if (d.spec.power.prior.empty())
    return "power analysis: none (the study gives no study.power.prior law to simulate from)\n";
  // To wire once the analysis's simulate_design (branch study-fit) is in.
  return "power analysis: not in this build (it needs the analysis's simulate_design)\n";
}

StudyFit fit_and_report_study(const sweep::StudyDesign& d) {
  FitInput in = design_input(d);
  FitOptions fo{d.spec.bootstrap, d.spec.bootstrap_seed, 0, ""};
  std::vector<std::string> skipped;
  std::vector<FitResult> fits;
  // The headline's law first: the report opens with it.
  std::vector<sweep::NamedEntry> order = d.spec.laws;
  std::stable_partition(order.begin(), order.end(),
                        [&](const sweep::NamedEntry& l) { return l.name == d.spec.headline.name; });
  for (const auto& l : order) {
    try {
      auto f = fit_laws(in, parse_enum<FitLaw>(l.name, "study.laws"), fo, skipped);
      fits.insert(fits.end(), f.begin(), f.end());
    } catch (const std::exception& e) {
      skipped.push_back(l.name + ": " + e.what());
    }
  }
  if (fits.empty()) {
    std::string why;
    for (const auto& s : skipped) why += (why.empty() ? "" : "; ") + s;
    throw std::runtime_error("no law of the study could be fitted to its runs (" + why +
                             "); the runs and study_state.json are kept");
  }
  StudyFit out;
  out.fits_path = (fs::path(d.out_root) / "fits.json").string();
  nlohmann::json source = fits_source(in, skipped);
  source["study"] = study_record(d);
  write_fits_json(out.fits_path, fits, source);
  // The report reads the fits.json just written: one fit, whatever reads it.
  const ReportFiles r = write_report(in, read_fits_json(out.fits_path), skipped,
                                     (fs::path(d.out_root) / "report").string());
  out.report_markdown = r.markdown;
  out.report_html = r.html;
  out.summary = format_fits(fits);
  for (const auto& s : skipped) out.summary += "not fitted: " + s + "\n";
  return out;
}

}  // namespace scalelab::cli
