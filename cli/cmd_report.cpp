// scalelab report RUNS --out DIR [--fits fits.json]: report.md and a self-contained report.html.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "analysis/fits/fit_laws.h"
#include "analysis/report/report.h"
#include "cli/commands.h"
#include "cli/fits_source.h"

namespace scalelab::cli {

void add_report_command(CLI::App& app) {
  struct Options {
    std::string input, out, fits, params = "total", convention = "6n";
    CsvColumns cols;
    int bootstrap = 200, threads = 0;
    uint64_t seed = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("report",
                                 "Figures and a Markdown + HTML report of a sweep's scaling laws");
  cmd->add_option("input", o->input, "A folder of run folders (or a CSV of points)")->required();
  cmd->add_option("--out", o->out, "Folder for report.md, report.html and figures/")->required();
  cmd->add_option("--fits", o->fits,
                  "The fits.json to report (default: INPUT/fits.json when it exists, else every "
                  "law is fitted here, said so, and saved as OUT/fits.json); one fitted to other "
                  "runs is refused");
  cmd->add_option("--params", o->params, "Which N of summary.json: total | non-embedding")
      ->capture_default_str();
  cmd->add_option("--flop-convention", o->convention,
                  "Key of summary flops (default: the convention of --fits, else of the sweep's "
                  "budgets, else 6n)")
      ->capture_default_str();
  cmd->add_option("--n-col", o->cols.n, "CSV column of N")->capture_default_str();
  cmd->add_option("--d-col", o->cols.d, "CSV column of D")->capture_default_str();
  cmd->add_option("--c-col", o->cols.c, "CSV column of C")->capture_default_str();
  cmd->add_option("--loss-col", o->cols.loss, "CSV column of the loss")->capture_default_str();
  cmd->add_option("--bootstrap", o->bootstrap,
                  "Bootstrap resamples when fitting here (no fits.json given or beside the runs)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Threads (0 = all cores)");
  cmd->callback([o, cmd] {
    RunReadOptions ro;
    ro.flop_convention = parse_enum<FlopConvention>(o->convention, "--flop-convention");
    ro.allow_missing_summary = true;  // the report lists unfinished runs instead of failing
    const ParamCount count = parse_param_count(o->params);
    const bool convention_given = cmd->count("--flop-convention") > 0;
    FitInput in = load_fit_input(o->input, o->cols, ro, count);
    // One fit, whatever reads it: the fits.json given, else the one beside the runs (a study's,
    // or `scalelab fit RUNS --out RUNS`), else a fit made here, said so and saved beside the
    // report.
    std::string fits_path = o->fits;
    const auto beside = std::filesystem::path(o->input) / "fits.json";
    const bool found_beside = fits_path.empty() && !in.from_csv && std::filesystem::exists(beside);
    if (found_beside) fits_path = beside.string();
    std::vector<std::string> skipped;
    std::vector<FitResult> fits;
    if (!fits_path.empty()) {
      fits = read_fits_json(fits_path);
      match_fits_to_runs(fits_path, in, convention_given ? o->convention : "");
      if (found_beside)  // said once it is known to be usable: a refusal stays one line
        std::fprintf(stderr, "report: reading %s (--fits to choose another)\n", fits_path.c_str());
      // The laws `scalelab fit` skipped, with their reasons, are listed in the report too.
      std::ifstream f(fits_path);
      const nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
      if (j.is_object() && j.contains("source") && j["source"].contains("skipped_laws"))
        for (const auto& k : j["source"]["skipped_laws"])
          if (k.is_string()) skipped.push_back(k.get<std::string>());
    }
    // Unless told otherwise, C (run table, figures, fits) is under the convention of the fits
    // given, else of the sweep's budgets.
    std::string why;
    if (!convention_given && !in.from_csv)
      if (auto c = report_flop_convention(in, fits, &why); c && *c != ro.flop_convention) {
        RunReadOptions other = ro;
        other.flop_convention = *c;
        try {
          FitInput again = load_fit_input(o->input, o->cols, other, count);
          if (!fits_path.empty()) match_fits_to_runs(fits_path, again, "");
          in = std::move(again);
          in.notes.push_back(why + " (--flop-convention to choose another).");
        } catch (const std::exception& e) {
          in.notes.push_back("C is under the " + enum_name(ro.flop_convention) +
                             " convention, not " + enum_name(*c) + " as the sweep's: " + e.what());
        }
      }
    if (fits_path.empty()) {
      std::fprintf(stderr,
                   "report: no fits.json given or beside the runs: fitting every law here (%d "
                   "bootstrap resamples, C under the %s convention) into %s/fits.json\n",
                   o->bootstrap, enum_name(in.flop_convention).c_str(), o->out.c_str());
      fits = fit_laws(in, FitLaw::all, {o->bootstrap, o->seed, o->threads}, skipped);
      std::filesystem::create_directories(o->out);
      fits_path = (std::filesystem::path(o->out) / "fits.json").string();
      write_fits_json(fits_path, fits, fits_source(in, skipped));
      fits = read_fits_json(fits_path);  // the report reads the file, as it would any other
    }
    // A study's fits.json names its claim, headline law and study_state.json: the report opens
    // with them, and reloads itself while that study is unfinished.
    ReportFiles r = write_report(in, fits, skipped, o->out, read_report_context(fits_path));
    std::printf("wrote %s and %s (%zu figures) from %s\n", r.markdown.c_str(), r.html.c_str(),
                r.figures.size(), fits_path.c_str());
  });
}

}  // namespace scalelab::cli
