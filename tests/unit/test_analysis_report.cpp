// Report: every figure it references exists, the HTML embeds them, and the summary says plainly
// when the data are too thin.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "analysis/figures/figure_set.h"
#include "analysis/figures/figures.h"
#include "analysis/fits/fit_laws.h"
#include "analysis/fits/fitted_laws.h"
#include "analysis/inputs/loss_curves.h"
#include "analysis/laws/data_constrained_law.h"
#include "analysis/laws/laws.h"
#include "analysis/laws/multipower_law.h"
#include "analysis/report/report.h"
#include "tests/support/synthetic_runs.h"

using namespace scalelab;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An IsoFLOP sweep of 4 budgets x 7 sizes drawn from a Chinchilla-like law with 0.3% noise.
// Each test gets its own folder (`name`): CTest runs the tests of this file in parallel.
fs::path isoflop_sweep(const std::string& name = "report_runs") {
  const ChinchillaLaw truth{1.8, 480.0, 2100.0, 0.35, 0.37};
  auto root = synth::fresh_dir(name);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0, 0.003);
  for (double C : {1e17, 1e18, 1e19, 1e20}) {
    const double n_opt = truth.optimal_params(C);
    for (int k = -3; k <= 3; ++k) {
      const double N = n_opt * std::pow(1.7, k), D = C / (6 * N), eps = std::exp(noise(rng));
      char name[64];
      std::snprintf(name, sizeof name, "c%.0e_n%d", C, k + 3);
      synth::write_run(
          root, {name, N, D, C, {{"budget", C}}, [=](double t) { return truth.loss(N, t) * eps; }});
    }
  }
  return root;
}

// Every image the Markdown links to exists, every rendered figure is linked (PNG and SVG), and the
// HTML inlines each one.
void expect_figures_linked(const ReportFiles& r, const fs::path& out) {
  const std::string md = slurp(r.markdown), html = slurp(r.html);
  std::regex link(R"(\]\((figures/[a-z0-9_]+\.(png|svg))\))");
  int n_links = 0;
  for (auto it = std::sregex_iterator(md.begin(), md.end(), link); it != std::sregex_iterator();
       ++it, ++n_links)
    EXPECT_TRUE(fs::exists(out / (*it)[1].str())) << (*it)[1].str();
  EXPECT_EQ(n_links, static_cast<int>(2 * r.figures.size()));
  size_t n_inline = 0;
  for (size_t p = 0; (p = html.find("data:image/png;base64,", p)) != std::string::npos; ++p)
    ++n_inline;
  EXPECT_EQ(n_inline, r.figures.size());
}

bool has_figure(const ReportFiles& r, const std::string& name) {
  for (const auto& f : r.figures)
    if (f.name == name) return true;
  return false;
}

// Data rows (not comments, not blank) of a figure's .dat file, as numbers.
std::vector<std::vector<double>> dat_rows(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::vector<double>> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::vector<double> row;
    for (std::string tok; ss >> tok;) row.push_back(tok == "NaN" ? NAN : std::stod(tok));
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST(Report, ReferencesOnlyFiguresThatExistAndEmbedsThem) {
  auto runs = isoflop_sweep();
  auto out = synth::fresh_dir("report_out");
  RunReadOptions ro;
  FitInput in = load_fit_input(runs.string(), {}, ro, ParamCount::non_embedding);
  std::vector<std::string> skipped;
  auto fits = fit_laws(in, FitLaw::all, {30, 1, 0}, skipped);
  ReportFiles r = write_report(in, fits, skipped, out.string());
  const std::string md = slurp(r.markdown), html = slurp(r.html);
  // Every image the Markdown links to exists, and every rendered figure is linked.
  std::regex link(R"(\]\((figures/[a-z0-9_]+\.(png|svg))\))");
  int n_links = 0;
  for (auto it = std::sregex_iterator(md.begin(), md.end(), link); it != std::sregex_iterator();
       ++it, ++n_links)
    EXPECT_TRUE(fs::exists(out / (*it)[1].str())) << (*it)[1].str();
  EXPECT_EQ(n_links, static_cast<int>(2 * r.figures.size()));  // PNG and SVG per figure
  for (const char* name : {"loss_vs_tokens", "loss_vs_flops", "isoflop_profiles", "allocation",
                           "isoloss", "kaplan_power_laws", "goodness_of_fit"}) {
    EXPECT_NE(md.find(std::string("figures/") + name + ".png"), std::string::npos) << name;
    EXPECT_TRUE(fs::exists(out / "figures" / (std::string(name) + ".gp"))) << name;
  }
  // Self-contained HTML: images inline, none by path.
  size_t n_inline = 0;
  for (size_t p = 0; (p = html.find("data:image/png;base64,", p)) != std::string::npos; ++p)
    ++n_inline;
  EXPECT_EQ(n_inline, r.figures.size());
  EXPECT_EQ(html.find("src=\"figures/"), std::string::npos);
  EXPECT_NE(md.find("your a = "), std::string::npos);
  EXPECT_NE(md.find("Chinchilla 0.50, Kaplan 0.73"), std::string::npos);
  EXPECT_NE(md.find("| c1e+17_n0 |"), std::string::npos);  // run table
  // No transfer or DeepNarrow runs: those figures are neither drawn nor listed.
  EXPECT_EQ(md.find("figures/transfer.png"), std::string::npos);
  EXPECT_EQ(md.find("figures/deepnarrow.png"), std::string::npos);
  EXPECT_FALSE(fs::exists(out / "figures" / "transfer.png"));
}

TEST(Report, DrawsTransferAgainstDfWithHernandezReference) {
  // Scratch curves and fine-tuned runs built from a known D_T law (as in
  // test_analysis_transfer.cpp).
  auto scratch = [](double N, double D) {
    return 1.5 + 300 / std::pow(N, 0.3) + 900 / std::pow(D, 0.3);
  };
  auto runs = synth::fresh_dir("report_transfer_runs");
  int id = 0;
  for (double N : {1e6, 4e6, 1.6e7}) {
    for (double D = 1e5; D < 2e11; D *= 3)
      synth::write_run(runs, {"scratch" + std::to_string(id++),
                              N,
                              D,
                              0,
                              {{"study", "transfer"}, {"role", "scratch"}},
                              [=](double t) { return scratch(N, t); }});
    for (double D_F : {1e6, 1e7, 1e8}) {
      const double L = scratch(N, D_F + 500 * std::pow(D_F, 0.3) * std::pow(N, 0.4));
      synth::write_run(runs,
                       {"ft" + std::to_string(id++),
                        N,
                        D_F,
                        0,
                        {{"study", "transfer"}, {"role", "finetune"}, {"finetune_tokens", D_F}},
                        [=](double) { return L; }});
    }
  }
  auto out = synth::fresh_dir("report_transfer_out");
  FitInput in = load_fit_input(runs.string(), {}, {}, ParamCount::non_embedding);
  std::vector<std::string> skipped;
  auto fits = fit_laws(in, FitLaw::all, {20, 1, 0}, skipped);
  ReportFiles r = write_report(in, fits, skipped, out.string());
  ASSERT_TRUE(has_figure(r, "transfer"));
  EXPECT_FALSE(has_figure(r, "deepnarrow"));
  expect_figures_linked(r, out);
  EXPECT_NE(slurp(r.markdown).find("figures/transfer.png"), std::string::npos);
  EXPECT_TRUE(fs::exists(out / "figures" / "transfer.svg"));
  // 9 points in 3 blocks; the dashed lines are Hernandez et al.'s law at the block's N.
  EXPECT_EQ(dat_rows(out / "figures" / "transfer_points.dat").size(), 9u);
  auto lines = dat_rows(out / "figures" / "transfer_lines.dat");
  ASSERT_EQ(lines.size(), 3u * 31);
  const double DF = lines[0][0], N = 1e6;  // first block = smallest N
  EXPECT_NEAR(lines[0][2] / (1.9e4 * std::pow(DF, 0.18) * std::pow(N, 0.38)), 1.0, 1e-6);
  EXPECT_NEAR(lines[0][1] / (500 * std::pow(DF, 0.3) * std::pow(N, 0.4)), 1.0,
              0.3);  // the fit, near the truth
}

TEST(Report, DrawsDeepNarrowLossAgainstDepth) {
  // 2 budgets x 3 depths, pretrained and fine-tuned; loss encodes (budget, depth, role) so the
  // figure's data can be checked cell by cell.
  auto runs = synth::fresh_dir("report_deepnarrow_runs");
  auto loss_of = [](double budget, double depth, bool ft) {
    return 2.0 + (budget < 5e4 ? 0.2 : 0) - 0.01 * depth + (ft ? 0.4 : 0);
  };
  for (double budget : {3e4, 1e5})
    for (double depth : {1.0, 4.0, 16.0})
      for (bool ft : {false, true}) {
        char name[64];
        std::snprintf(name, sizeof name, "%s-n%.0e-l%.0f", ft ? "finetune" : "pretrain", budget,
                      depth);
        nlohmann::json tags = {{"study", "deepnarrow"},
                               {"role", ft ? "finetune" : "pretrain"},
                               {"depth", depth},
                               {"target_params", budget}};
        const double L = loss_of(budget, depth, ft);
        synth::write_run(
            runs, {name, budget * (1 + 0.01 * depth), 1e6, 0, tags, [=](double) { return L; }});
      }
  auto out = synth::fresh_dir("report_deepnarrow_out");
  FitInput in = load_fit_input(runs.string(), {}, {}, ParamCount::non_embedding);
  std::vector<std::string> skipped;
  auto fits = fit_laws(in, FitLaw::all, {0, 1, 0}, skipped);
  ReportFiles r = write_report(in, fits, skipped, out.string());
  ASSERT_TRUE(has_figure(r, "deepnarrow"));
  EXPECT_FALSE(has_figure(r, "transfer"));
  expect_figures_linked(r, out);
  EXPECT_NE(slurp(r.markdown).find("figures/deepnarrow.png"), std::string::npos);
  auto rows = dat_rows(out / "figures" / "deepnarrow.dat");
  ASSERT_EQ(rows.size(), 6u);  // budget 3e4 first, depths ascending
  for (size_t i = 0; i < rows.size(); ++i) {
    const double budget = i < 3 ? 3e4 : 1e5, depth = rows[i][0];
    EXPECT_EQ(depth, (i % 3 == 0 ? 1.0 : i % 3 == 1 ? 4.0 : 16.0));
    EXPECT_NEAR(rows[i][1], loss_of(budget, depth, false), 1e-9);
    EXPECT_NEAR(rows[i][2], loss_of(budget, depth, true), 1e-9);
  }
}

TEST(Report, SaysWhenDataAreTooThin) {
  FitInput in;
  in.source = "tiny";
  in.points = {{1e6, 1e8, 6e14, 4.0, "a"}, {2e6, 1e8, 1.2e15, 3.9, "b"}};
  in.unfinished = {"still_running"};
  auto s = plain_summary(in, {}, {"chinchilla_approach3: needs at least 6 points, got 2"});
  std::string all;
  for (const auto& l : s) all += l + "\n";
  EXPECT_NE(all.find("too few to support a conclusion"), std::string::npos) << all;
  EXPECT_NE(all.find("cannot say how to split compute"), std::string::npos) << all;
  EXPECT_NE(all.find("Not fitted: chinchilla_approach3"), std::string::npos) << all;
  EXPECT_NE(all.find("still_running"), std::string::npos) << all;
}

TEST(Report, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

// A sweep with a diverged run and a paused run beside finished ones: the fits use the finished
// runs, a note names each run left out, and the report lists them.
TEST(Report, LeavesDivergedAndPausedRunsOutAndListsThem) {
  auto runs = isoflop_sweep("report_runs_left_out");
  auto loss = [](double t) { return 3 + 1e3 / t; };
  synth::SyntheticRun diverged{"blew_up", 3e6, 1e8, 1e18, {{"budget", 1e18}}, loss};
  diverged.status = "diverged";
  synth::SyntheticRun paused{"half_done", 3e6, 5e7, 1e18, {{"budget", 1e18}}, loss};
  paused.status = "paused";
  synth::write_run(runs, diverged);
  synth::write_run(runs, paused);
  FitInput in = load_fit_input(runs.string(), {}, RunReadOptions{}, ParamCount::non_embedding);
  EXPECT_EQ(in.runs.size(), 30u);
  EXPECT_EQ(in.points.size(), 28u);  // the finished runs only
  for (const char* name : {"blew_up", "half_done"}) {
    bool noted = false;
    for (const auto& n : in.notes) noted |= n.find(name) != std::string::npos;
    EXPECT_TRUE(noted) << name;
    for (const auto& p : in.points) EXPECT_NE(p.name, name);
  }
  std::vector<std::string> skipped;
  auto fits = fit_laws(in, FitLaw::all, {0, 1, 0}, skipped);
  EXPECT_FALSE(fits.empty());
  auto out = synth::fresh_dir("report_left_out");
  const std::string md = slurp(write_report(in, fits, skipped, out.string()).markdown);
  const auto listed = md.find("Left out of the fits");
  ASSERT_NE(listed, std::string::npos);
  EXPECT_NE(md.find("blew_up (diverged at step", listed), std::string::npos) << md.substr(listed);
  EXPECT_NE(md.find("half_done (paused at step", listed), std::string::npos) << md.substr(listed);
  EXPECT_NE(md.find("run blew_up diverged"), std::string::npos);  // the note in the summary
}

// A degenerate 6-run sweep: 2 budgets x 3 sizes whose loss depends on the data only (as when every
// model is far larger than its tokens can use). Approach 3 drives E and N_opt to nonsense; the
// report must not turn that into advice, and must say why.
fs::path degenerate_sweep() {
  auto root = synth::fresh_dir("report_degenerate_runs");
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 0.01);
  for (double C : {1e15, 4e15})
    for (double N : {2e5, 8e5, 3.2e6}) {
      const double D = C / (6 * N), eps = std::exp(noise(rng));
      char name[64];
      std::snprintf(name, sizeof name, "c%.0e_n%.0e", C, N);
      synth::write_run(root, {name, N, D, C, {{"budget", C}}, [=](double t) {
                                return (0.5 + 40 / std::pow(t, 0.15)) * eps;
                              }});
    }
  return root;
}

TEST(Report, DegenerateSixRunFitGivesNoRecommendationAndSaysWhy) {
  auto runs = degenerate_sweep();
  FitInput in = load_fit_input(runs.string(), {}, {}, ParamCount::non_embedding);
  ASSERT_EQ(in.points.size(), 6u);
  std::vector<std::string> skipped;
  auto fits = fit_laws(in, FitLaw::all, {50, 1, 0}, skipped);
  const FitResult* a3 = nullptr;
  for (const auto& f : fits)
    if (f.law == "chinchilla_approach3") a3 = &f;
  ASSERT_NE(a3, nullptr) << "the degenerate fit must still be fitted, to be refused";
  const Recommendation r = recommend(in, *a3, 4e16);
  EXPECT_FALSE(r.identified);
  std::string why;
  for (const auto& w : r.why_not) why += w + "\n";
  EXPECT_NE(why.find("E = "), std::string::npos) << why;  // E collapsed to ~0
  EXPECT_NE(why.find("N_opt = "), std::string::npos) << why;
  EXPECT_NE(why.find("is wider than its value"), std::string::npos) << why;

  auto out = synth::fresh_dir("report_degenerate_out");
  const std::string md = slurp(write_report(in, fits, skipped, out.string()).markdown);
  EXPECT_EQ(md.find("For C = "), std::string::npos) << md;  // no advice
  EXPECT_EQ(md.find(" train N = "), std::string::npos) << md;
  const auto refusal = md.find("No recommendation for C = ");
  ASSERT_NE(refusal, std::string::npos) << md;
  EXPECT_NE(md.find("fit is not identified", refusal), std::string::npos);
  // report.md lists each skipped law with its reason, in the fits section.
  ASSERT_FALSE(skipped.empty());
  const auto section = md.find("### Not fitted");
  ASSERT_NE(section, std::string::npos) << md;
  for (const auto& k : skipped) EXPECT_NE(md.find("- " + k, section), std::string::npos) << k;
}

// The well-sampled sweep still gets its advice, and it is within the data's reach.
TEST(Report, IdentifiedFitGivesARecommendation) {
  auto runs = isoflop_sweep("report_runs_identified");
  FitInput in = load_fit_input(runs.string(), {}, {}, ParamCount::non_embedding);
  std::vector<std::string> skipped;
  auto fits = fit_laws(in, FitLaw::chinchilla, {30, 1, 0}, skipped);
  ASSERT_EQ(fits.size(), 1u);
  const Recommendation r = recommend(in, fits[0], 1e21);
  std::string why;
  for (const auto& w : r.why_not) why += w + "\n";
  EXPECT_TRUE(r.identified) << why;
  EXPECT_GT(r.N, 1e3);
  // 100x beyond the largest run is refused as an extrapolation.
  const Recommendation far = recommend(in, fits[0], 1e22);
  EXPECT_FALSE(far.identified);
  const auto out = synth::fresh_dir("report_identified_out");
  const std::string md = slurp(write_report(in, fits, skipped, out.string()).markdown);
  EXPECT_NE(md.find("For C = 1e+21 FLOPs"), std::string::npos) << md;
  EXPECT_EQ(md.find("No recommendation"), std::string::npos) << md;
}

// The run table's C follows the fits' convention, else the sweep's budgets'.
TEST(Report, FlopConventionIsTheFitsThenTheSweeps) {
  FitInput in;
  scalelab::Run a, b, c;
  a.budget_convention = b.budget_convention = "chinchilla";
  c.budget_convention = "6n";
  in.runs = {a, b, c};
  std::string why;
  auto conv = report_flop_convention(in, {}, &why);
  ASSERT_TRUE(conv.has_value());
  EXPECT_EQ(*conv, FlopConvention::chinchilla);
  EXPECT_NE(why.find("sweep's budgets"), std::string::npos) << why;
  FitResult f;
  f.law = LawId::chinchilla_approach3;
  f.data["flop_convention"] = "6n_total";
  conv = report_flop_convention(in, {f}, &why);
  ASSERT_TRUE(conv.has_value());
  EXPECT_EQ(*conv, FlopConvention::six_n_total);
  EXPECT_FALSE(report_flop_convention(FitInput{}, {}, &why).has_value());
}

TEST(Report, DrawsLossAgainstEpochsWithTheFittedDataConstrainedLaw) {
  // Runs of 3 sizes over 1-32 epochs of 2 unique-token budgets, from the published law.
  const DataConstrainedLaw truth = DataConstrainedLaw::muennighoff();
  auto runs = synth::fresh_dir("report_dc_runs");
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 0.002);
  int id = 0;
  for (double U : {2e8, 1e9})
    for (double N : {2e7, 6e7, 2e8})
      for (double epochs : {0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0}) {
        const double D = epochs * U, L = truth.loss(N, D, U) * std::exp(noise(rng));
        synth::write_run(runs,
                         {"r" + std::to_string(id++), N, D, 0, {{"unique_tokens", U}}, [=](double) {
                            return L;
                          }});
      }
  auto out = synth::fresh_dir("report_dc_out");
  FitInput in = load_fit_input(runs.string(), {}, {}, ParamCount::non_embedding);
  std::vector<std::string> skipped;
  auto fits = fit_laws(in, FitLaw::data_constrained, {20, 1, 0}, skipped);
  ReportFiles r = write_report(in, fits, skipped, out.string());
  ASSERT_TRUE(has_figure(r, "data_constrained_epochs"));
  expect_figures_linked(r, out);
  // 6 (N, U) groups, each: 7 measured points, then 61 points of the fitted law along N and U.
  const FitResult* fit = find_fit(fits, LawId::data_constrained);
  ASSERT_NE(fit, nullptr);
  const DataConstrainedLaw law = data_constrained_from_fit(*fit);
  const auto rows = dat_rows(out / "figures" / "data_constrained.dat");
  ASSERT_EQ(rows.size(), 6u * (7 + 61));
  // The first group is the smallest (N, U) = (2e7, 2e8): its law rows follow its 7 points.
  for (size_t i = 7; i < 7 + 61; ++i)
    EXPECT_NEAR(rows[i][1], law.loss(2e7, rows[i][0] * 2e8, 2e8), 1e-8) << i;
  // The summary says what R_D* means, with its interval.
  const std::string md = slurp(r.markdown);
  EXPECT_NE(md.find("Repeated data: R_D* = "), std::string::npos) << md;
  EXPECT_NE(md.find("(95% interval "), std::string::npos);
}

TEST(Report, KaplanFigureWithOneLawHasOnePanel) {
  // L(D) skipped: the figure is L(N) alone, no empty half.
  FitResult n;
  n.law = LawId::kaplan_n;
  n.params = {{"Nc", 8.8e13}, {"alpha_N", 0.076}};
  n.data = {{"x", {1e5, 1e6, 1e7}}, {"loss", {4.0, 3.4, 2.9}}};
  auto dir = synth::fresh_dir("report_kaplan_one");
  const Figure f = figures::kaplan_1d(&n, nullptr, dir.string());
  const std::string gp = slurp((dir / "kaplan_power_laws.gp").string());
  EXPECT_EQ(gp.find("multiplot"), std::string::npos) << gp;
  EXPECT_NE(gp.find("L(N)"), std::string::npos);
  EXPECT_EQ(f.title, "L(N)");
  EXPECT_TRUE(fs::exists(dir / "kaplan_power_laws.png"));
}

TEST(Report, MultiPowerFigureDrawsFittedAndPredictedCurvesOverTheData) {
  // The published 100M constants over one curve treated as fitted and one as held out.
  const std::string data = std::string(SCALELAB_SOURCE_DIR) + "/tests/data/multipower/100M/";
  const LossCurve fitted = read_multipower_csv(data + "cosine_24000.csv");
  const LossCurve held_out = read_multipower_csv(data + "wsdcon_3.csv");
  const MultiPowerLaw law = MultiPowerLaw::published_100m();
  auto dir = synth::fresh_dir("report_multipower");
  render_multipower_figure({fitted}, {held_out}, law, dir.string());
  EXPECT_TRUE(fs::exists(dir / "multipower_curves.png"));
  const std::string gp = slurp((dir / "multipower_curves.gp").string());
  EXPECT_NE(gp.find("title 'cosine_24000' noenhanced"), std::string::npos) << gp;
  EXPECT_NE(gp.find("dt 2 lc 2 title 'predicted'"), std::string::npos) << gp;  // held out: dashed
  const auto rows = dat_rows(dir / "multipower.dat");
  ASSERT_EQ(rows.size(), fitted.steps.size() + held_out.steps.size());
  const auto predicted = MultiPowerCurve(held_out.lr, held_out.steps).predict(law);
  for (size_t i = 0; i < held_out.steps.size(); ++i) {
    const auto& row = rows[fitted.steps.size() + i];
    EXPECT_EQ(row[0], held_out.steps[i]);
    EXPECT_NEAR(row[2], predicted[i], 1e-8);
  }
}
