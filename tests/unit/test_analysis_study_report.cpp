// The study report (issue 25 item 7, issue 27 item 5): headline first with its interval and the
// command that regenerates it, an unidentified law named and never drawn, a page that reloads
// itself only while the study runs, and figure captions that say what the figure draws.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "analysis/figures/figure_set.h"
#include "analysis/fits/fit_laws.h"
#include "analysis/laws/laws.h"
#include "analysis/report/report.h"
#include "tests/support/synthetic_runs.h"

using namespace scalelab;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// 4 budgets x 7 sizes x 3 seeds from a Chinchilla-like law, each seed off by 0.2% (its own trunk).
fs::path seeded_study(const std::string& name) {
  const ChinchillaLaw truth{1.8, 480.0, 2100.0, 0.35, 0.37};
  auto root = synth::fresh_dir(name);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 0.002);
  for (double C : {1e17, 1e18, 1e19, 1e20}) {
    const double n_opt = truth.optimal_params(C);
    for (int k = -3; k <= 3; ++k)
      for (int s = 0; s < 3; ++s) {
        const double N = n_opt * std::pow(1.7, k), D = C / (6 * N), eps = std::exp(noise(rng));
        char point[64], run[80];
        std::snprintf(point, sizeof point, "c%.0e_n%d", C, k + 3);
        std::snprintf(run, sizeof run, "%s-s%d", point, s);
        nlohmann::json tags = {{"budget", C}, {"point", point}, {"seed", s}, {"trunk", run}};
        synth::write_run(root,
                         {run, N, D, C, tags, [=](double t) { return truth.loss(N, t) * eps; }});
      }
  }
  return root;
}

struct Study {
  fs::path runs, fits_path, state_path;
  FitInput in;
  std::vector<FitResult> fits;
};

// The study's fits.json with its source.study block, as `scalelab study` writes it.
Study fitted_study(const std::string& name, const std::string& headline_law,
                   const std::string& phase) {
  Study s;
  s.runs = seeded_study(name);
  s.in = load_fit_input(s.runs.string(), {}, {}, ParamCount::non_embedding);
  std::vector<std::string> skipped;
  for (FitLaw law : {FitLaw::approach2, FitLaw::chinchilla}) {
    auto f = fit_laws(s.in, law, {40, 3, 0}, skipped);
    s.fits.insert(s.fits.end(), f.begin(), f.end());
  }
  s.state_path = s.runs / "study_state.json";
  std::ofstream(s.state_path) << nlohmann::json{{"phase", phase}, {"wave", 1}}.dump();
  s.fits_path = s.runs / "fits.json";
  nlohmann::json source = {{"input", s.runs.string()}};
  source["study"] = {{"file", "/studies/tiny.yaml"},
                     {"claim", "N_opt grows as C^a on this corpus"},
                     {"headline", {{"law", headline_law}, {"why", "seed means, weighted"}}},
                     {"bracketing", {{"each_side", 2}}},
                     {"study_state", s.state_path.string()}};
  write_fits_json(s.fits_path.string(), s.fits, source);
  s.fits = read_fits_json(s.fits_path.string());
  return s;
}

size_t at(const std::string& text, const std::string& what) {
  const size_t p = text.find(what);
  EXPECT_NE(p, std::string::npos) << "missing: " << what;
  return p;
}

}  // namespace

TEST(StudyReport, HeadlineFirstWithItsIntervalAndTheCommandThatRegeneratesIt) {
  Study s = fitted_study("study_report_headline", "approach2", "fitted");
  const auto out = s.runs / "report";
  const ReportFiles r =
      write_report(s.in, s.fits, {}, out.string(), read_report_context(s.fits_path.string()));
  const std::string md = slurp(r.markdown);
  EXPECT_EQ(md.rfind("# N_opt grows as C^a on this corpus", 0), 0u) << md.substr(0, 200);
  const FitResult* a2 = find_fit(s.fits, LawId::chinchilla_approach2);
  ASSERT_NE(a2, nullptr);
  const Estimate& a = a2->at("a");
  ASSERT_TRUE(a.has_ci());
  char quoted[128];
  std::snprintf(quoted, sizeof quoted, "Headline: a = %.3f (95%% interval %.3f to %.3f)", a.value,
                a.lo, a.hi);
  const size_t headline = at(md, quoted);
  EXPECT_NE(md.find("includes seed noise: a hierarchical bootstrap", headline), std::string::npos);
  const size_t command = at(md, "scalelab study /studies/tiny.yaml --out-root " + s.runs.string());
  // Headline, command, then the figures and tables in the order the issue asks; diagnostics last.
  const size_t first_figure = at(md, "![");
  EXPECT_LT(headline, command);
  EXPECT_LT(command, first_figure);
  const size_t iso = at(md, "## IsoFLOP profiles"), alloc = at(md, "## Compute-optimal N and D"),
               budgets = at(md, "## Per budget"), side = at(md, "## Approaches side by side"),
               diag = at(md, "## Diagnostics");
  EXPECT_LT(first_figure, alloc);
  EXPECT_LT(iso, first_figure);
  EXPECT_LT(alloc, budgets);
  EXPECT_LT(budgets, side);
  EXPECT_LT(side, diag);
  EXPECT_GT(at(md, "figures/goodness_of_fit.png"), diag);
  EXPECT_GT(at(md, "figures/loss_vs_tokens.png"), diag);
  // The per-budget table: every budget bracketed (3 sizes each side, the rule 2), 3 seeds.
  EXPECT_NE(md.find("| 1e+17 | 7: "), std::string::npos) << md.substr(budgets, 800);
  int bracketed = 0;
  for (size_t p = budgets; (p = md.find("| 3 | yes (", p)) != std::string::npos; ++p) ++bracketed;
  EXPECT_EQ(bracketed, 4) << md.substr(budgets, 800);
  EXPECT_EQ(md.find("Provisional:"), std::string::npos);
  EXPECT_EQ(slurp(r.html).find("http-equiv=\"refresh\""), std::string::npos);
}

TEST(StudyReport, ReloadsItselfOnlyWhileTheStudyIsUnfinished) {
  Study s = fitted_study("study_report_live", "approach2", "training");
  const auto out = s.runs / "report";
  ReportContext live = read_report_context(s.fits_path.string());
  EXPECT_TRUE(live.live);
  ReportFiles r = write_report(s.in, s.fits, {}, out.string(), live);
  EXPECT_NE(slurp(r.html).find("<meta http-equiv=\"refresh\" content=\"30\">"), std::string::npos);
  EXPECT_NE(
      slurp(r.markdown).find("Provisional: the study is still running (phase training, wave 1)"),
      std::string::npos);
  std::ofstream(s.state_path) << nlohmann::json{{"phase", "fitted"}, {"wave", 1}}.dump();
  const ReportContext done = read_report_context(s.fits_path.string());
  EXPECT_FALSE(done.live);
  r = write_report(s.in, s.fits, {}, out.string(), done);
  EXPECT_EQ(slurp(r.html).find("http-equiv"), std::string::npos);
  EXPECT_EQ(slurp(r.markdown).find("Provisional"), std::string::npos);
}

// Approach 3 stripped of its bootstrap: the gate refuses it. The report names it with its reasons
// and draws no line of it; the headline, when it is the headline law, quotes no estimate.
TEST(StudyReport, UnidentifiedLawIsNamedAndNeverDrawn) {
  Study s = fitted_study("study_report_unidentified", "chinchilla", "fitted");
  for (auto& f : s.fits)
    if (f.law == LawId::chinchilla_approach3) {
      f.procedure.erase("bootstrap");
      for (auto& p : f.params) p.lo = p.hi = NAN;
    }
  const auto out = s.runs / "report";
  const ReportFiles r =
      write_report(s.in, s.fits, {}, out.string(), read_report_context(s.fits_path.string()));
  const std::string md = slurp(r.markdown);
  const size_t headline = at(md, "Headline: a from approach 3");
  EXPECT_NE(md.find("not identified: ", headline), std::string::npos);
  EXPECT_EQ(md.find("Headline: a = "), std::string::npos);
  EXPECT_NE(md.find("- chinchilla_approach3: not identified: "), std::string::npos) << md;
  // allocation_lines.dat column 6 is approach 3's N_opt: no finite value, no plotted line.
  std::ifstream lines(out / "figures" / "allocation_lines.dat");
  int rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream cols(line);
    std::string c[6];
    for (auto& x : c) cols >> x;
    EXPECT_EQ(c[5], "NaN") << line;
    ++rows;
  }
  EXPECT_GT(rows, 0);
  const std::string gp = slurp(out / "figures" / "allocation.gp");
  EXPECT_EQ(gp.find("approach 3"), std::string::npos);
  EXPECT_NE(gp.find("approach 2 95% band"), std::string::npos);  // the identified fit's band
}

// The IsoFLOP profiles draw each seed mean with its standard error, as fits.json holds them.
TEST(StudyReport, IsoflopProfilesDrawSeedMeansWithStandardErrors) {
  Study s = fitted_study("study_report_isoflop", "approach2", "fitted");
  const auto dir = s.runs / "figs";
  fs::create_directories(dir);
  const FitResult* a2 = find_fit(s.fits, LawId::chinchilla_approach2);
  ASSERT_NE(a2, nullptr);
  const Figure f = figures::isoflop_profiles(*a2, dir.string());
  EXPECT_NE(f.caption.find("mean final loss of its seeds (3 per point)"), std::string::npos)
      << f.caption;
  EXPECT_NE(f.caption.find("standard error"), std::string::npos);
  std::vector<double> se;
  for (const auto& b : a2->data["budgets"])
    for (const auto& x : b["se"]) se.push_back(x.get<double>());
  std::ifstream pts(dir / "isoflop_points.dat");
  size_t i = 0;
  for (std::string line; std::getline(pts, line);) {
    if (line.empty() || line[0] == '#') continue;
    double N, L, lc, used, e;
    std::istringstream(line) >> N >> L >> lc >> used >> e;
    ASSERT_LT(i, se.size());
    EXPECT_GT(e, 0);
    EXPECT_NEAR(e, se[i], 1e-9 * se[i]);
    ++i;
  }
  EXPECT_EQ(i, se.size());
  EXPECT_NE(slurp(dir / "isoflop_profiles.gp").find("with yerrorbars"), std::string::npos);
}

namespace {

// Data rows of a figure's .dat: loss (column 3) of each row, in order.
std::vector<double> losses_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<double> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    double tokens, flops, loss;
    std::istringstream(line) >> tokens >> flops >> loss;
    out.push_back(loss);
  }
  return out;
}

// One run whose training loss zigzags by +-0.2 about 3 and whose validation loss is 2.5 then 2.4.
FitInput zigzag_input(bool with_validation) {
  FitInput in;
  in.count = ParamCount::non_embedding;
  scalelab::Run r;
  r.name = "zigzag";
  r.params_non_embedding = r.params_total = 1e6;
  r.tokens = 2000, r.flops = 6e6 * 2000;
  r.final_val_loss = with_validation ? 2.4 : 0;
  for (int i = 1; i <= 20; ++i) r.train.push_back({100.0 * i, 6e8 * i, 3 + (i % 2 ? 0.2 : -0.2)});
  if (with_validation) r.eval = {{1000, 6e9, 2.5}, {1500, 9e9, 2.45}};
  in.runs = {r};
  return in;
}

}  // namespace

// issue 27 item 5: the captions said "validation (else training)" over raw training loss. Now the
// validation series holds exactly the eval losses (and the final one), the training series their
// running mean, and the caption and legend name what is drawn, nothing else.
TEST(Figures, LossCurveCaptionsMatchTheSeriesDrawn) {
  const auto dir = synth::fresh_dir("figures_loss_captions");
  const Figure f = figures::loss_curves(zigzag_input(true), dir.string(), false);
  EXPECT_EQ(losses_of(dir / "loss_curves_val.dat"), (std::vector<double>{2.5, 2.45, 2.4}));
  const auto train = losses_of(dir / "loss_curves_train.dat");
  ASSERT_EQ(train.size(), 20u);
  // A 9-value window over an alternating +-0.2 leaves 0.2 / 9 in the middle: smoothed, not raw.
  EXPECT_NEAR(train[10], 3 + 0.2 / 9, 1e-9);  // .dat keeps 10 digits
  EXPECT_NEAR(train[9], 3 - 0.2 / 9, 1e-9);
  EXPECT_NE(f.caption.find("Validation loss (points) of 1 runs"), std::string::npos) << f.caption;
  EXPECT_NE(f.caption.find("training loss smoothed by a centred running mean of 9 logged values "
                           "(lines)"),
            std::string::npos)
      << f.caption;
  const std::string gp = slurp(dir / "loss_vs_tokens.gp");
  EXPECT_NE(gp.find("'loss_curves_val.dat' using 1:3:4 with points"), std::string::npos);
  EXPECT_NE(gp.find("title 'validation loss'"), std::string::npos);
  EXPECT_NE(gp.find("'loss_curves_train.dat' using 1:3:4 with lines"), std::string::npos);
  EXPECT_NE(gp.find("title 'training loss (running mean of 9 logged values)'"), std::string::npos);

  // Without any validation loss the caption and legend do not mention one.
  const auto dir2 = synth::fresh_dir("figures_loss_captions_train_only");
  const Figure g = figures::loss_curves(zigzag_input(false), dir2.string(), true);
  EXPECT_TRUE(losses_of(dir2 / "loss_curves_val.dat").empty());
  EXPECT_EQ(g.caption.find("alidation"), std::string::npos) << g.caption;
  EXPECT_EQ(slurp(dir2 / "loss_vs_flops.gp").find("validation"), std::string::npos);
  EXPECT_NE(slurp(dir2 / "loss_vs_flops.gp").find("using 2:3:4 with lines"), std::string::npos);
}
