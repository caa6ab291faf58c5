// Report: every figure it references exists, the HTML embeds them, and the summary says plainly
// when the data are too thin.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "analysis/laws.h"
#include "analysis/report.h"
#include "tests/synthetic_runs.h"

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
fs::path isoflop_sweep() {
  const ChinchillaLaw truth{1.8, 480.0, 2100.0, 0.35, 0.37};
  auto root = synth::fresh_dir("report_runs");
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0, 0.003);
  for (double C : {1e17, 1e18, 1e19, 1e20}) {
    const double n_opt = truth.optimal_params(C);
    for (int k = -3; k <= 3; ++k) {
      const double N = n_opt * std::pow(1.7, k), D = C / (6 * N), eps = std::exp(noise(rng));
      char name[64];
      std::snprintf(name, sizeof name, "c%.0e_n%d", C, k + 3);
      synth::write_run(root, {name, N, D, C, {{"budget", C}}, [=](double t) { return truth.loss(N, t) * eps; }});
    }
  }
  return root;
}

}  // namespace

TEST(Report, ReferencesOnlyFiguresThatExistAndEmbedsThem) {
  auto runs = isoflop_sweep();
  auto out = synth::fresh_dir("report_out");
  RunReadOptions ro;
  FitInput in = load_fit_input(runs.string(), {}, ro, ParamCount::non_embedding);
  std::vector<std::string> skipped;
  auto fits = fit_laws(in, "all", {30, 1, 0}, skipped);
  ReportFiles r = write_report(in, fits, skipped, out.string());
  const std::string md = slurp(r.markdown), html = slurp(r.html);
  // Every image the Markdown links to exists, and every rendered figure is linked.
  std::regex link(R"(\]\((figures/[a-z0-9_]+\.(png|svg))\))");
  int n_links = 0;
  for (auto it = std::sregex_iterator(md.begin(), md.end(), link); it != std::sregex_iterator(); ++it, ++n_links)
    EXPECT_TRUE(fs::exists(out / (*it)[1].str())) << (*it)[1].str();
  EXPECT_EQ(n_links, static_cast<int>(2 * r.figures.size()));  // PNG and SVG per figure
  for (const char* name : {"loss_vs_tokens", "loss_vs_flops", "isoflop_profiles", "allocation", "isoloss",
                           "kaplan_power_laws", "goodness_of_fit"}) {
    EXPECT_NE(md.find(std::string("figures/") + name + ".png"), std::string::npos) << name;
    EXPECT_TRUE(fs::exists(out / "figures" / (std::string(name) + ".gp"))) << name;
  }
  // Self-contained HTML: images inline, none by path.
  size_t n_inline = 0;
  for (size_t p = 0; (p = html.find("data:image/png;base64,", p)) != std::string::npos; ++p) ++n_inline;
  EXPECT_EQ(n_inline, r.figures.size());
  EXPECT_EQ(html.find("src=\"figures/"), std::string::npos);
  EXPECT_NE(md.find("your a = "), std::string::npos);
  EXPECT_NE(md.find("Chinchilla 0.50, Kaplan 0.73"), std::string::npos);
  EXPECT_NE(md.find("| c1e+17_n0 |"), std::string::npos);  // run table
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
