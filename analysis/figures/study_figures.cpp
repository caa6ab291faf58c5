// Figures of the two side studies: transfer (Hernandez et al. 2021: D_T against D_F) and
// DeepNarrow (Tay et al. 2021: pretraining and fine-tuned loss against depth at fixed N).
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "analysis/figures/figure_set.h"
#include "analysis/figures/gnuplot.h"
#include "analysis/fits/fitted_laws.h"
#include "analysis/inputs/run_tags.h"

namespace scalelab::figures {
namespace {

// Distinct colours for a handful of series (sizes, budgets); they cycle beyond eight.
const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                          "#ff7f0e", "#17becf", "#8c564b", "#e377c2"};

std::string colour(size_t i) {
  return kColours[i % 8];
}

std::string sci(double v, const char* f = "%.2g") {  // 2e+04 -> "2e4": short enough for a legend
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  std::string s = buf;
  if (auto e = s.find("e+0"); e != std::string::npos)
    s.replace(e, 3, "e");
  else if (auto e2 = s.find("e+"); e2 != std::string::npos)
    s.replace(e2, 2, "e");
  return s;
}

// A numeric tag, 0 when absent (inputs/run_tags.h: a non-numeric one is an error).
double tag_or_zero(const Run& r, const char* key) {
  return tag_number(r, key).value_or(0);
}

// Hernandez et al. 2021, fig. 1 / eq. 1.1 for text -> python (non-embedding N).
constexpr double kHernandezK = 1.9e4, kHernandezAlpha = 0.18, kHernandezBeta = 0.38;

}  // namespace

Figure transfer(const FitResult& t, ParamCount count, const std::string& dir) {
  const std::string which = count == ParamCount::total ? "total" : "non-embedding";
  // Sizes grouped within 1% (as the fit pairs them), one colour each.
  std::vector<double> sizes;
  double f0 = 1e300, f1 = 0, y0 = 1e300, y1 = 0;
  for (const auto& p : t.data["points"]) {
    const double N = p["N"];
    if (std::none_of(sizes.begin(), sizes.end(),
                     [&](double s) { return std::abs(s - N) <= 0.01 * std::max(s, N); }))
      sizes.push_back(N);
    f0 = std::min(f0, p["D_F"].get<double>()), f1 = std::max(f1, p["D_F"].get<double>());
  }
  std::sort(sizes.begin(), sizes.end());
  auto size_index = [&](double N) {
    for (size_t i = 0; i < sizes.size(); ++i)
      if (std::abs(sizes[i] - N) <= 0.01 * std::max(sizes[i], N)) return i;
    return size_t{0};
  };
  // One data block per N: points, then the fitted line, then Hernandez's line.
  std::ostringstream pts, lines;
  std::vector<std::vector<std::string>> by_size(sizes.size());
  for (const auto& p : t.data["points"]) {
    const double DT = p["D_T"];
    y0 = std::min(y0, DT), y1 = std::max(y1, DT);
    by_size[size_index(p["N"])].push_back(num(p["D_F"].get<double>()) + " " + num(DT));
  }
  const double x0 = f0 / 2, x1 = f1 * 2, k = t.value("k"), a = t.value("alpha"),
               b = t.value("beta");
  for (size_t i = 0; i < sizes.size(); ++i) {
    pts << "# N = " << num(sizes[i]) << "\n";
    for (const auto& l : by_size[i]) pts << l << "\n";
    pts << "\n\n";
    lines << "# N = " << num(sizes[i]) << ": D_F fit Hernandez\n";
    for (int j = 0; j <= 30; ++j) {
      const double DF = x0 * std::pow(x1 / x0, j / 30.0);
      const double fit = k * std::pow(DF, a) * std::pow(sizes[i], b);
      const double ref =
          kHernandezK * std::pow(DF, kHernandezAlpha) * std::pow(sizes[i], kHernandezBeta);
      lines << num(DF) << " " << num(fit) << " " << num(ref) << "\n";
      y0 = std::min({y0, fit, ref}), y1 = std::max({y1, fit, ref});
    }
    lines << "\n\n";
  }
  write_file(dir, "transfer_points.dat",
             "# D_F D_T, one block per N (see the comment lines)\n" + pts.str());
  write_file(dir, "transfer_lines.dat",
             "# D_F D_T_fit D_T_hernandez, one block per N\n" + lines.str());
  std::string body =
      "set encoding utf8\n" + axes("fine-tuning tokens D_F (tokens)",
                                   "effective data transferred D_T (tokens)", true, true);
  body +=
      "set format y '10^{%T}'\nset key below box maxrows 3 width 2 spacing 1.2\nset bmargin 9\n";
  body += "set xrange [" + num(x0) + ":" + num(x1) + "]\nset yrange [" + num(y0 / 2) + ":" +
          num(y1 * 2) + "]\n";
  char title[160];
  std::snprintf(title, sizeof title,
                "Transfer: D_T = k D_F^{α} N^{β}; fit k = %.3g, α = %.2f, β = %.2f", k, a, b);
  body += "set title '" + std::string(title) + "'\nplot ";
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string lc = " lc rgb '" + colour(i) + "'", idx = std::to_string(i);
    body += "'transfer_points.dat' index " + idx + " using 1:2 with points pt 7 ps 1.4" + lc +
            " title 'N = " + sci(sizes[i]) + " (" + which + ")', ";
    body += "'transfer_lines.dat' index " + idx + " using 1:2 with lines lw 2" + lc + " notitle, ";
    body += "'transfer_lines.dat' index " + idx + " using 1:3 with lines dt 2 lw 1.5" + lc +
            " notitle, ";
  }
  // Legend entries for the two line styles, drawn off the data (NaN) in grey.
  body += "NaN with lines lw 2 lc rgb '#444444' title 'this fit (solid)', ";
  body +=
      "NaN with lines dt 2 lw 1.5 lc rgb '#444444' title 'Hernandez 2021 text→python (dashed)'\n";
  render(dir, "transfer", body, 1000, 660);
  std::string caption =
      "Effective data transferred D_T = D_E - D_F against fine-tuning tokens D_F, one colour per "
      "model "
      "size N (" +
      which +
      " parameters), log-log. Solid: the fitted D_T = k D_F^alpha N^beta at each N; "
      "dashed: Hernandez et al. 2021's text->python law (k 1.9e4, alpha 0.18, beta 0.38) at the "
      "same N.";
  // Their law counts non-embedding N; with total N the dashed lines sit higher than a like-for-like
  // comparison.
  if (count == ParamCount::total)
    caption +=
        " Hernandez et al. count non-embedding parameters: rerun with --params non-embedding to "
        "compare like for like.";
  return {"transfer", "Transfer: D_T against D_F", caption};
}

bool has_deepnarrow(const FitInput& in) {
  for (const auto& r : in.runs)
    if (tag_is(r, "study", "deepnarrow") && tag_or_zero(r, "depth") > 0 &&
        (tag_is(r, "role", "pretrain") || tag_is(r, "role", "finetune")))
      return true;
  return false;
}

Figure deepnarrow(const FitInput& in, const std::string& dir) {
  // budget -> depth -> (pretrain losses, finetune losses); seeds of one shape are averaged.
  struct Cell {
    std::vector<double> pre, ft;
  };
  std::map<double, std::map<double, Cell>> grid;
  std::map<double, std::pair<double, double>> n_span;  // actual N range per budget, for the legend
  for (const auto& r : in.runs) {
    if (!tag_is(r, "study", "deepnarrow")) continue;
    const std::string role = tag_text(r, "role");
    const double depth = tag_or_zero(r, "depth");
    if (depth <= 0 || !is_complete(r.status)) continue;
    if (role != "pretrain" && role != "finetune") continue;
    // The budget the study aimed at; older runs without it are grouped by their own N.
    double budget = tag_or_zero(r, "target_params");
    if (budget <= 0) budget = tag_or_zero(r, "budget");
    if (budget <= 0) budget = std::stod(sci(run_params(r, in.count)));
    auto& c = grid[budget][depth];
    (role == "pretrain" ? c.pre : c.ft).push_back(r.final_val_loss);
    const double N = run_params(r, in.count);
    auto [it, fresh] = n_span.try_emplace(budget, N, N);
    it->second = {std::min(it->second.first, N), std::max(it->second.second, N)};
  }
  auto mean = [](const std::vector<double>& v) {
    if (v.empty()) return std::string("NaN");
    double s = 0;
    for (double x : v) s += x;
    return num(s / v.size());
  };
  const std::string which = in.count == ParamCount::total ? "total" : "non-embedding";
  std::ostringstream dat;
  double d0 = 1e300, d1 = 0, l0 = 1e300, l1 = 0;
  std::string xtics;
  std::vector<double> depths;
  for (const auto& [budget, by_depth] : grid) {
    dat << "# budget " << num(budget) << ": depth pretrain_loss finetune_loss\n";
    for (const auto& [depth, c] : by_depth) {
      dat << num(depth) << " " << mean(c.pre) << " " << mean(c.ft) << "\n";
      d0 = std::min(d0, depth), d1 = std::max(d1, depth);
      if (std::find(depths.begin(), depths.end(), depth) == depths.end()) depths.push_back(depth);
      for (double l : c.pre) l0 = std::min(l0, l), l1 = std::max(l1, l);
      for (double l : c.ft) l0 = std::min(l0, l), l1 = std::max(l1, l);
    }
    dat << "\n\n";
  }
  std::sort(depths.begin(), depths.end());
  for (double d : depths) xtics += (xtics.empty() ? "" : ", ") + num(d);
  write_file(dir, "deepnarrow.dat", dat.str());
  // Both panels share the y range so pretraining and fine-tuning gaps compare by eye.
  const double pad = 0.05 * std::max(l1 - l0, 0.01);
  auto panel = [&](int col, const std::string& what) {
    std::string s = axes("depth n_{layer} (log scale; width shrinks as depth grows)",
                         "final validation loss (nats/token)", false, false);
    s += "set logscale x 2\nset xtics (" + xtics + ")\nset mxtics 1\n";
    s += "set xrange [" + num(d0 / 1.3) + ":" + num(d1 * 1.3) + "]\nset yrange [" + num(l0 - pad) +
         ":" + num(l1 + pad) + "]\n";
    s += "set key below box font ',10'\nset bmargin 7\nset title '" + what + "'\nplot ";
    size_t i = 0;
    for (const auto& [budget, span] : n_span) {
      s += std::string(i ? ", " : "") + "'deepnarrow.dat' index " + std::to_string(i) +
           " using 1:" + std::to_string(col) + " with linespoints pt 7 ps 1.2 lw 2 lc rgb '" +
           colour(i) + "' title 'target N " + sci(budget) + " (" + which + " N " +
           sci(span.first, "%.3g") + "–" + sci(span.second, "%.3g") + ")'";
      ++i;
    }
    return s + "\n";
  };
  std::string body = "set encoding utf8\nset multiplot layout 1,2\n" +
                     panel(2, "Pretraining loss") + "reset\n" + panel(3, "Loss after fine-tuning") +
                     "unset multiplot\n";
  render(dir, "deepnarrow", body, 1300, 600);
  return {"deepnarrow", "DeepNarrow: loss against depth at fixed N",
          "For each parameter budget (one colour), the final validation loss of each shape against "
          "its depth: left after "
          "pretraining, right after fine-tuning on the second domain (Tay et al. 2021 compare the "
          "two rankings). Same "
          "y scale in both panels; missing points are shapes without that run."};
}

Figure data_constrained_epochs(const FitInput& in, const FitResult& fit, const std::string& dir) {
  // One group per (N, U): the measured final losses against epochs D / U, and the fitted law
  // along the same N and U.
  const DataConstrainedLaw law = data_constrained_from_fit(fit);
  std::map<std::pair<double, double>, std::vector<const Point*>> groups;
  for (const auto& p : in.points)
    if (p.U > 0) groups[{p.N, p.U}].push_back(&p);
  std::ostringstream dat;
  dat << "# per (N, U) block: epochs measured_loss, then a blank line and the law's curve\n";
  std::string plot;
  int index = 0, colour = 1;
  for (auto& [key, points] : groups) {
    const auto [N, U] = key;
    std::sort(points.begin(), points.end(), [](auto* a, auto* b) { return a->D < b->D; });
    for (const Point* p : points) dat << num(p->D / U) << " " << num(p->loss) << "\n";
    dat << "\n\n";
    const double lo = std::min(1.0, points.front()->D / U), hi = points.back()->D / U * 1.5;
    for (int i = 0; i <= 60; ++i) {
      const double epochs = lo * std::pow(hi / lo, i / 60.0);
      dat << num(epochs) << " " << num(law.loss(N, epochs * U, U)) << "\n";
    }
    dat << "\n\n";
    const std::string c = std::to_string(colour++);
    char title[96];
    std::snprintf(title, sizeof title, "N = %.3g, U = %.3g", N, U);
    plot += std::string(plot.empty() ? "plot " : ", \\\n  ") + "'data_constrained.dat' index " +
            std::to_string(index) + " using 1:2 with points pt 7 ps 1.2 lc " + c + " title '" +
            title + "', '' index " + std::to_string(index + 1) + " using 1:2 with lines lw 2 lc " +
            c + " notitle";
    index += 2;
  }
  write_file(dir, "data_constrained.dat", dat.str());
  std::string body =
      axes("epochs over the unique tokens (D / U)", "loss (nats/token)", true, false);
  body += "set key outside right top\nset title sprintf('Repeated data: fitted R_D^* = %.3g', " +
          num(law.R_D_star) + ")\n" + plot + "\n";
  render(dir, "data_constrained_epochs", body, 1100, 600);
  return {"data_constrained_epochs", "Loss against epochs (data-constrained law)",
          "Final loss of each run against the epochs it trained over its U unique tokens (points), "
          "one colour per model size and U, with the fitted law of Muennighoff et al. 2023 along "
          "the same N and U (lines)."};
}

}  // namespace scalelab::figures
