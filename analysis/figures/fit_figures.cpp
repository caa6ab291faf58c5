// Figures drawn from fitted laws: IsoFLOP profiles, N_opt(C) and D_opt(C), IsoLoss contours,
// Kaplan L(N) and L(D). The study figures (transfer, DeepNarrow) are in study_figures.cpp.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "analysis/figures/figure_set.h"
#include "analysis/figures/gnuplot.h"
#include "analysis/fits/fitted_laws.h"

namespace scalelab::figures {
namespace {

const char* kPalette =
    "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n";

std::string fmt_sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

}  // namespace

Figure isoflop_profiles(const FitResult& a2, const std::string& dir) {
  // fits.json's budgets: N and loss per point (the seed means when runs were seeded, with their
  // standard errors "se" and counts "seeds"), each used budget's parabola and minimum.
  std::ostringstream pts, curves, minima;
  int n_refused = 0, min_seeds = 1 << 30, max_seeds = 0;
  auto number_or = [](const nlohmann::json& j, double fallback) {
    return j.is_number() ? j.get<double>() : fallback;
  };
  for (const auto& b : a2.data.at("budgets")) {
    const double C = b["budget"], lc = std::log10(C);
    auto N = b["N"].get<std::vector<double>>(), L = b["loss"].get<std::vector<double>>();
    const bool used = b["used"];
    n_refused += !used;
    for (size_t i = 0; i < N.size(); ++i) {
      const double se = b.contains("se") ? number_or(b["se"][i], 0) : 0;
      const int n = b.contains("seeds") ? b["seeds"][i].get<int>() : 1;
      min_seeds = std::min(min_seeds, n), max_seeds = std::max(max_seeds, n);
      pts << num(N[i]) << " " << num(L[i]) << " " << num(lc) << " " << used << " " << num(se) << " "
          << n << "\n";
    }
    if (!used) continue;
    const double x_mean = b["x_mean"], c0 = b["c"][0], c1 = b["c"][1], c2 = b["c"][2];
    const double lo = std::log(*std::min_element(N.begin(), N.end())) - 0.1,
                 hi = std::log(*std::max_element(N.begin(), N.end())) + 0.1;
    for (int k = 0; k <= 60; ++k) {
      const double x = lo + (hi - lo) * k / 60 - x_mean;
      curves << num(std::exp(x + x_mean)) << " " << num(c0 + c1 * x + c2 * x * x) << " " << num(lc)
             << "\n";
    }
    curves << "\n\n";
    minima << num(b["N_opt"].get<double>()) << " " << num(b["loss_opt"].get<double>()) << " "
           << num(lc) << "\n";
  }
  const bool seeded = max_seeds > 1;
  write_file(dir, "isoflop_points.dat",
             "# N loss(seed mean) log10_budget used se(standard error of the mean, 0 = one "
             "seed) seeds\n" +
                 pts.str());
  write_file(dir, "isoflop_parabolas.dat", "# N loss log10_budget\n" + curves.str());
  write_file(dir, "isoflop_minima.dat", "# N_opt loss_opt log10_budget\n" + minima.str());
  std::string body = axes("parameters N", "final loss (nats/token)", true, false);
  body += kPalette;
  body +=
      "set title 'IsoFLOP profiles: loss against N at fixed compute'\nset cblabel 'log_{10} budget "
      "C (FLOPs)'\nset key below box\nset bmargin 6\n";
  const std::string runs = seeded ? "seed mean +- standard error" : "runs";
  body +=
      "plot 'isoflop_parabolas.dat' using 1:2:3 with lines lw 2 lc palette title 'parabola in log "
      "N', "
      "'isoflop_points.dat' using ($4 > 0 ? $1 : NaN):2:5:3 with yerrorbars pt 7 ps 1 lc palette "
      "title '" +
      runs + "', " +
      (n_refused ? "'isoflop_points.dat' using ($4 > 0 ? NaN : $1):2:5 with yerrorbars pt 6 ps "
                   "1.2 lc rgb '#999999' title 'refused budget (not used)', "
                 : std::string()) +
      "'isoflop_minima.dat' using 1:2 with points pt 3 ps 2.5 lw 2 lc rgb '#d62728' title 'fitted "
      "minimum N_{opt}'\n";
  render(dir, "isoflop_profiles", body);
  std::string caption =
      seeded ? "Each point is the mean final loss of its seeds (" + std::to_string(min_seeds) +
                   (min_seeds == max_seeds ? "" : " to " + std::to_string(max_seeds)) +
                   " per point), with bars of +- one standard error of that mean; "
             : "Each run's final loss; ";
  caption +=
      "each budget's parabola in log N fitted to them (Hoffmann et al. 2022, approach 2); crosses "
      "mark the fitted minima.";
  if (n_refused)
    caption += " " + std::to_string(n_refused) +
               " budget(s) refused (no interior minimum, or unbracketed) are drawn in grey and "
               "not used.";
  return {"isoflop_profiles", "IsoFLOP profiles", caption};
}

Figure allocation(const std::vector<FitResult>& fits, const std::string& dir) {
  std::ostringstream obs;
  double cmin = 1e300, cmax = 0;
  const FitResult* a1 = find_fit(fits, LawId::chinchilla_approach1);
  const FitResult* a2 = find_fit(fits, LawId::chinchilla_approach2);
  const FitResult* a3 = find_fit(fits, LawId::chinchilla_approach3);
  obs << "# C N_opt D_opt set(1 = approach1 frontier, 2 = approach2 minima)\n";
  if (a1)
    for (const auto& f : a1->data["frontier"]) {
      obs << num(f["C"].get<double>()) << " " << num(f["N"].get<double>()) << " "
          << num(f["D"].get<double>()) << " 1\n";
      cmin = std::min(cmin, f["C"].get<double>()), cmax = std::max(cmax, f["C"].get<double>());
    }
  if (a2)
    for (const auto& b : a2->data["budgets"])
      if (b["used"]) {
        const double C = b["budget"], N = b["N_opt"];
        obs << num(C) << " " << num(N) << " " << num(C / (6 * N)) << " 2\n";
        cmin = std::min(cmin, C), cmax = std::max(cmax, C);
      }
  if (cmax == 0) cmin = 1e17, cmax = 1e23;
  // The band: fits.json keeps each constant's 95% interval, not the resamples, so the band turns
  // N_opt(C) through a's interval about the geometric middle of the data's C, where the fit is
  // pinned down best (N_opt(C) (C / C_mid)^(a_lo - a) to (C / C_mid)^(a_hi - a)).
  const double c_mid = std::sqrt(cmin * cmax);
  cmin /= 10, cmax *= 10;
  // Lines: fits and the published references (N non-embedding for Kaplan).
  std::ostringstream lines;
  lines << "# C kaplan_N chinchilla_N a1_N a2_N a3_N, then a1 a2 a3 band lo hi (D = C / 6N)\n";
  const ChinchillaLaw ref = ChinchillaLaw::epoch();
  auto n_of = [](const FitResult* f, double C) -> double {
    if (!f) return NAN;
    return f->law == LawId::chinchilla_approach3 ? chinchilla_from_fit(*f).optimal_params(C)
                                                 : f->value("k_N") * std::pow(C, f->value("a"));
  };
  auto band = [&](const FitResult* f, double C, bool hi) {
    if (!f || !f->at("a").has_ci()) return std::string("NaN");
    const Estimate& e = f->at("a");
    return num(n_of(f, C) * std::pow(C / c_mid, (hi ? e.hi : e.lo) - e.value));
  };
  for (int k = 0; k <= 80; ++k) {
    const double C = std::exp(std::log(cmin) + (std::log(cmax) - std::log(cmin)) * k / 80);
    const double kaplan =
        1.3e9 * std::pow(C / 8.64e19, 0.73);  // Kaplan et al. 2020, eq. 6.1 (C in PF-days)
    lines << num(C) << " " << num(kaplan) << " " << num(ref.optimal_params(C));
    for (const FitResult* f : {a1, a2, a3}) lines << " " << (f ? num(n_of(f, C)) : "NaN");
    for (const FitResult* f : {a1, a2, a3})
      lines << " " << band(f, C, false) << " " << band(f, C, true);
    lines << "\n";
  }
  write_file(dir, "allocation_points.dat", obs.str());
  write_file(dir, "allocation_lines.dat", lines.str());
  auto panel = [&](bool tokens) {
    // D_opt = C / (6 N_opt) for every line; the points carry their own D.
    std::string y = tokens ? "($1/(6*$%d))" : "%d";
    auto col = [&](int c) {
      char buf[32];
      std::snprintf(buf, sizeof buf, y.c_str(), c);
      return std::string(buf);
    };
    std::string s =
        axes("compute C (FLOPs)",
             tokens ? "compute-optimal tokens D_{opt}" : "compute-optimal parameters N_{opt}", true,
             true);
    // One panel per row and the key outside on the right: the panels keep their width.
    s += "set format y '10^{%T}'\nset key outside right top box opaque\n";
    s += std::string("set title '") + (tokens ? "D_{opt}(C)" : "N_{opt}(C)") + "'\nplot ";
    struct Fit {
      const FitResult* f;
      int line, lo;
      const char *colour, *name;
    };
    std::string fits_part;
    for (const Fit& x :
         {Fit{a1, 4, 7, "#2ca02c", "approach 1"}, Fit{a2, 5, 9, "#1f77b4", "approach 2"},
          Fit{a3, 6, 11, "#d62728", "approach 3"}}) {
      if (!x.f) continue;
      if (x.f->at("a").has_ci())
        fits_part += "'allocation_lines.dat' using 1:" + col(x.lo) + ":" + col(x.lo + 1) +
                     " with filledcurves fc rgb '" + x.colour +
                     "' fs transparent solid 0.18 noborder title '" + x.name + " 95% band', ";
      fits_part += "'allocation_lines.dat' using 1:" + col(x.line) + " with lines lw 2 lc rgb '" +
                   x.colour + "' title sprintf('" + x.name + " fit (a = %.3f)', " +
                   num(x.f->value("a")) + "), ";
    }
    if (a1)
      fits_part +=
          "'allocation_points.dat' using ($4 == 1 ? $1 : NaN):" + std::string(tokens ? "3" : "2") +
          " with points pt 6 lc rgb '#2ca02c' title 'approach 1 frontier', ";
    if (a2)
      fits_part +=
          "'allocation_points.dat' using ($4 == 2 ? $1 : NaN):" + std::string(tokens ? "3" : "2") +
          " with points pt 7 ps 1.3 lc rgb '#1f77b4' title 'approach 2 minima', ";
    s += fits_part;
    s += "'allocation_lines.dat' using 1:" + col(2) +
         " with lines dt 2 lw 1.5 lc rgb '#888888' title 'Kaplan 2020 (a = 0.73)', ";
    s += "'allocation_lines.dat' using 1:" + col(3) +
         " with lines dt 4 lw 1.5 lc rgb '#444444' title 'Chinchilla refit (a = 0.51)'";
    return s + "\n";
  };
  std::string body =
      "set multiplot layout 2,1\n" + panel(false) + panel(true) + "unset multiplot\n";
  render(dir, "allocation", body, 1050, 1000);
  return {
      "allocation", "Compute-optimal N and D",
      "N_opt(C) (top) and D_opt(C) = C / (6 N_opt) (bottom) from each identified fit, with its "
      "95% band (a's bootstrap interval turned about the middle of the data's compute, " +
          fmt_sci(c_mid) +
          " FLOPs), and Kaplan et al. 2020 (non-embedding N) and the Besiroglu et al. 2024 refit "
          "of Chinchilla for reference. A fit that is not identified is not drawn."};
}

Figure isoloss(const FitInput& in, const FitResult& a3, const std::string& dir) {
  const ChinchillaLaw law = chinchilla_from_fit(a3);
  double n0 = 1e300, n1 = 0, d0 = 1e300, d1 = 0, l0 = 1e300, l1 = 0;
  std::ostringstream pts;
  for (const auto& p : in.points) {
    n0 = std::min(n0, p.N), n1 = std::max(n1, p.N), d0 = std::min(d0, p.D), d1 = std::max(d1, p.D);
    l0 = std::min(l0, p.loss), l1 = std::max(l1, p.loss);
    pts << num(std::log10(p.N)) << " " << num(std::log10(p.D)) << " " << num(p.loss) << "\n";
  }
  const double x0 = std::log10(n0) - 0.5, x1 = std::log10(n1) + 0.5, y0 = std::log10(d0) - 0.5,
               y1 = std::log10(d1) + 0.5;
  std::ostringstream grid, front;
  for (int i = 0; i <= 80; ++i) {
    for (int j = 0; j <= 80; ++j) {
      const double x = x0 + (x1 - x0) * i / 80, y = y0 + (y1 - y0) * j / 80;
      grid << num(x) << " " << num(y) << " " << num(law.loss(std::pow(10, x), std::pow(10, y)))
           << "\n";
    }
    grid << "\n";
  }
  // Efficient frontier: for each C, the (N, D) on C = 6 N D with the lowest loss (eq. 4).
  for (double lc = std::log10(6) + x0 + y0; lc <= std::log10(6) + x1 + y1; lc += 0.05) {
    const double N = law.optimal_params(std::pow(10, lc)), D = std::pow(10, lc) / (6 * N);
    front << num(std::log10(N)) << " " << num(std::log10(D)) << "\n";
  }
  write_file(dir, "isoloss_grid.dat", "# log10_N log10_D loss\n" + grid.str());
  write_file(dir, "isoloss_frontier.dat", "# log10_N_opt log10_D_opt\n" + front.str());
  write_file(dir, "isoloss_points.dat", "# log10_N log10_D loss\n" + pts.str());
  std::string levels;
  for (int k = 0; k < 10; ++k) levels += (k ? "," : "") + num(l0 + (l1 - l0) * k / 9);
  std::string body =
      "set contour base\nunset surface\nset view map\nset cntrparam levels discrete " + levels +
      "\n";
  body +=
      "set table 'isoloss_contours.dat'\nsplot 'isoloss_grid.dat' using 1:2:3 with lines\nunset "
      "table\nunset contour\n";
  body += axes("parameters N", "tokens D", false, false);
  body += std::string(kPalette) +
          "set format x '10^{%.0f}'\nset format y '10^{%.0f}'\nset xtics 1\nset ytics 1\n";
  body += "set xrange [" + num(x0) + ":" + num(x1) + "]\nset yrange [" + num(y0) + ":" + num(y1) +
          "]\n";
  body += "set cblabel 'loss (nats/token)'\nset cbrange [" + num(l0) + ":" + num(l1) +
          "]\nset key below box\nset bmargin 7\n";
  body += "set title 'IsoLoss contours of the approach 3 fit, with the efficient frontier'\n";
  body +=
      "plot 'isoloss_contours.dat' using 1:2:3 with lines lw 1.5 lc palette title 'IsoLoss "
      "contour', "
      "'isoloss_frontier.dat' using 1:2 with lines lw 3 lc rgb '#d62728' title 'efficient frontier "
      "(min loss at each C)', "
      "'isoloss_points.dat' using 1:2:3 with points pt 7 ps 0.8 lc palette title 'runs (colour = "
      "loss)'\n";
  render(dir, "isoloss", body, 900, 700);
  return {"isoloss", "IsoLoss contours",
          "Contours of the fitted L(N, D) at 10 loss levels spanning the data; the red line is the "
          "efficient frontier "
          "N_opt(C), D_opt(C) under C = 6 N D."};
}

Figure kaplan_1d(const FitResult* n, const FitResult* d, const std::string& dir) {
  auto panel = [&](const FitResult* f, const std::string& tag, const std::string& xc,
                   const std::string& a, const std::string& xl) {
    auto x = f->data["x"].get<std::vector<double>>(),
         y = f->data["loss"].get<std::vector<double>>();
    std::ostringstream dat;
    for (size_t i = 0; i < x.size(); ++i) dat << num(x[i]) << " " << num(y[i]) << "\n";
    write_file(dir, "kaplan_" + tag + ".dat", dat.str());
    const double Xc = f->value(xc), al = f->value(a);
    std::string s = axes(xl, "loss (nats/token)", true, false);
    s +=
        log_loss_axis(*std::min_element(y.begin(), y.end()), *std::max_element(y.begin(), y.end()));
    s += "set key inside left bottom box opaque\nset title 'L(" + tag + ") = (" + xc + "/" + tag +
         ")^{" + a + "}'\n";
    s += "plot 'kaplan_" + tag +
         ".dat' using 1:2 with points pt 7 ps 1 lc rgb '#1f77b4' title 'lowest loss at each " +
         tag + "', ";
    s += "(" + num(Xc) + "/x)**" + num(al) +
         " with lines lw 2 lc rgb '#d62728' title sprintf('fit: " + a + " = %.3f', " + num(al) +
         ")\n";
    return s;
  };
  // One panel per fitted law: a skipped L(N) or L(D) leaves no blank half.
  const bool both = n && d;
  std::string body = both ? "set multiplot layout 1,2\n" : "";
  if (n) body += panel(n, "N", "Nc", "alpha_N", "parameters N");
  if (both) body += "reset\n";
  if (d) body += panel(d, "D", "Dc", "alpha_D", "tokens D");
  if (both) body += "unset multiplot\n";
  render(dir, "kaplan_power_laws", body, both ? 1300 : 800, 560);
  const std::string which = both ? "L(N) and L(D)" : n ? "L(N)" : "L(D)";
  return {"kaplan_power_laws", which,
          "Kaplan et al. 2020 " +
              std::string(both ? "eqs. 1.1-1.2"
                          : n  ? "eq. 1.1"
                               : "eq. 1.2") +
              " fitted to the lowest loss at each " +
              (both ? "N and at each D"
               : n  ? "N"
                    : "D") +
              ", log-log."};
}

}  // namespace scalelab::figures
