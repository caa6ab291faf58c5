// scalelab fit RUNS_OR_CSV --law
// chinchilla|kaplan|approach1|approach2|transfer|data-constrained|all --out DIR
// scalelab fit CURVES... --law multipower --out DIR (cli/multipower_cli.cpp)
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "analysis/fits/fit_laws.h"
#include "cli/commands.h"
#include "cli/fits_source.h"
#include "cli/multipower_cli.h"

namespace scalelab::cli {

void add_fit_command(CLI::App& app) {
  struct Options {
    std::string input, law = "all", params = "total", convention = "6n", out, fresh_fit;
    std::string method = "varpro";
    double max_failed_share = kDefaultMaxFailedShare;
    int min_each_side = 0;
    std::vector<std::string> inputs;    // several only for multipower
    std::vector<std::string> held_out;  // multipower only
    CsvColumns cols;
    int bootstrap = 0, threads = 0;
    uint64_t seed = 0;
    bool skip_unfinished = false, json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd =
      app.add_subcommand("fit", "Fit scaling laws (with bootstrap intervals) to runs or a CSV");
  cmd->add_option("input", o->inputs,
                  "A folder of run folders, one run folder, or a CSV of points (multipower: "
                  "CSVs of step, lr, loss, folders of them, or run folders of one size)")
      ->required();
  cmd->add_option(
         "--law", o->law,
         "chinchilla (approach 3) | kaplan | approach1 | approach2 | transfer | "
         "data-constrained (needs U: --u-col or tags.unique_tokens) | all "
         "(data-constrained only when the input has U) | multipower (loss curves; not in all)")
      ->capture_default_str();
  cmd->add_option("--params", o->params, "Which N of summary.json: total | non-embedding")
      ->capture_default_str();
  cmd->add_option("--flop-convention", o->convention,
                  "Key of summary flops: 6n | 6n_total | litgpt | chinchilla | palm")
      ->capture_default_str();
  cmd->add_option("--n-col", o->cols.n, "CSV column of N (parameters)")->capture_default_str();
  cmd->add_option("--d-col", o->cols.d, "CSV column of D (tokens); else D = C / (6 N)")
      ->capture_default_str();
  cmd->add_option("--c-col", o->cols.c, "CSV column of C (FLOPs); else C = 6 N D")
      ->capture_default_str();
  cmd->add_option("--loss-col", o->cols.loss, "CSV column of the loss")->capture_default_str();
  cmd->add_option("--u-col", o->cols.u,
                  "CSV column of U, the unique tokens each run's D tokens were drawn from")
      ->capture_default_str();
  cmd->add_option("--fresh-fit", o->fresh_fit,
                  "data-constrained: take E, A, B, alpha, beta from this fits.json's "
                  "chinchilla_approach3 (a fresh-data fit) and fit only R_D*, R_N* (default: fit "
                  "all seven jointly)");
  cmd->add_option("--method", o->method,
                  "approach 3's search: varpro (variable projection: E, A, B solved for, a grid "
                  "and L-BFGS over the exponents; weights seeds) | grid (the published 4,500-start "
                  "L-BFGS, every run a point)")
      ->capture_default_str();
  cmd->add_option("--bootstrap", o->bootstrap,
                  "Bootstrap resamples for 95% intervals (0 = none: the fit is then not "
                  "identified, and plan/predict refuse it)")
      ->check(FiniteNonNegative);
  cmd->add_option("--max-failed-share", o->max_failed_share,
                  "A fit whose bootstrap lost more than this share of its resamples is not "
                  "identified (no interval, no figure line, no advice)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--bracket", o->min_each_side,
                  "approach 2: use only budgets whose lowest seed mean has at least this many "
                  "sizes on each side (a study's bracketing rule; 0 = only the parabola's minimum "
                  "inside the ladder)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--seed", o->seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Threads (0 = all cores)")->check(FiniteNonNegative);
  cmd->add_flag("--skip-unfinished", o->skip_unfinished,
                "Fit the runs that have summary.json, list the others");
  cmd->add_option("--held-out", o->held_out,
                  "multipower: curves (CSVs, run folders) not fitted but predicted from their "
                  "schedules; their errors are printed and drawn")
      ->expected(1, -1);
  cmd->add_option("--out", o->out, "Folder for fits.json")->required();
  cmd->add_flag("--json", o->json, "Print fits.json instead of the summary");
  cmd->footer(
      "Example: scalelab fit tests/data/chinchilla_fig4_epoch.csv --law chinchilla "
      "--n-col 'Model Size' --c-col 'Training FLOP' --bootstrap 1000 --out fits/epoch");
  cmd->callback([o] {
    if (parse_enum<FitLaw>(o->law, "--law") == FitLaw::multipower)
      return fit_multipower_command(o->inputs, o->held_out, o->out,
                                    {o->bootstrap, o->seed, o->threads}, o->json);
    if (!o->held_out.empty())
      throw std::runtime_error("--held-out: only --law multipower predicts held-out curves");
    if (o->inputs.size() != 1)
      throw std::runtime_error(
          "fit: one input (a folder of runs or a CSV); several only with "
          "--law multipower");
    o->input = o->inputs[0];
    RunReadOptions ro;
    ro.flop_convention = parse_enum<FlopConvention>(o->convention, "--flop-convention");
    ro.allow_missing_summary = o->skip_unfinished;
    FitInput in = load_fit_input(o->input, o->cols, ro, parse_param_count(o->params));
    std::vector<std::string> skipped;
    FitOptions fo{o->bootstrap, o->seed, o->threads, o->fresh_fit};
    fo.approach3_method = parse_enum<Approach3Method>(o->method, "--method");
    fo.max_failed_share = o->max_failed_share;
    fo.min_each_side = o->min_each_side;
    auto fits = fit_laws(in, parse_enum<FitLaw>(o->law, "--law"), fo, skipped);
    if (fits.empty()) {
      std::string why;
      for (const auto& s : skipped) why += "\n  " + s;
      throw std::runtime_error(o->input + ": no law could be fitted:" + why);
    }
    std::filesystem::create_directories(o->out);
    const auto path = (std::filesystem::path(o->out) / "fits.json").string();
    write_fits_json(path, fits, fits_source(in, skipped));  // names the runs it was fitted to
    if (o->json) {
      std::FILE* f = std::fopen(path.c_str(), "r");
      for (int c; f && (c = std::fgetc(f)) != EOF;) std::putchar(c);
      if (f) std::fclose(f);
      return;
    }
    std::printf(
        "%zu points from %s%s\n", in.points.size(), o->input.c_str(),
        o->bootstrap > 0
            ? (", " + std::to_string(o->bootstrap) + " bootstrap resamples, 95% intervals").c_str()
            : "");
    for (const auto& n : in.notes) std::printf("note: %s\n", n.c_str());
    for (const auto& u : in.unfinished)
      std::printf("note: run %s has no summary.json; left out\n", u.c_str());
    if (!in.left_out.empty()) std::printf("left out of the fits: %zu run(s)\n", in.left_out.size());
    std::printf("%s", format_fits(fits).c_str());
    for (const auto& s : skipped) std::printf("skipped %s\n", s.c_str());
    std::printf("wrote %s\n", path.c_str());
  });
}

}  // namespace scalelab::cli
