// The report's figure set, plus the figures drawn straight from the data: loss curves, goodness
// of fit.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "analysis/figures/figure_set.h"
#include "analysis/figures/gnuplot.h"
#include "analysis/fits/fitted_laws.h"
#include "analysis/fits/identify.h"

namespace scalelab {
namespace figures {

namespace {

// Training losses are logged every few steps and are noisy (one batch each): the figure draws
// them through a centred running mean of kSmoothWindow logged values (shrinking at the ends), and
// the validation losses (a fixed held-out set, no smoothing needed) as points.
constexpr int kSmoothWindow = 9;

std::vector<CurvePoint> running_mean(const std::vector<CurvePoint>& c) {
  std::vector<CurvePoint> out;
  const int half = kSmoothWindow / 2, n = static_cast<int>(c.size());
  for (int i = 0; i < n; ++i) {
    const int lo = std::max(0, i - half), hi = std::min(n - 1, i + half);
    double sum = 0;
    for (int k = lo; k <= hi; ++k) sum += c[k].loss;
    out.push_back({c[i].tokens, c[i].flops, sum / (hi - lo + 1)});
  }
  return out;
}

bool plottable(const CurvePoint& c) {
  return c.tokens > 0 && c.flops > 0 && c.loss > 0 && std::isfinite(c.loss);
}

}  // namespace

Figure loss_curves(const FitInput& in, const std::string& dir, bool by_flops) {
  // Validation points and smoothed training curves, one block per run each; colour = log10 N.
  std::ostringstream val, train;
  const std::string head = "# tokens flops loss log10_N, one block per run\n";
  val << "# validation loss: every eval of metrics.jsonl and the final one of summary.json\n"
      << head;
  train << "# training loss, centred running mean of " << kSmoothWindow << " logged values\n"
        << head;
  int n_val = 0, n_train = 0;
  double lo = 1e300, hi = 0;
  auto row = [&](std::ostringstream& o, const CurvePoint& c, double n) {
    lo = std::min(lo, c.loss), hi = std::max(hi, c.loss);
    o << num(c.tokens) << " " << num(c.flops) << " " << num(c.loss) << " " << num(std::log10(n))
      << "\n";
  };
  if (in.runs.empty()) {
    for (const auto& p : in.points) row(val, {p.D, p.C, p.loss}, p.N);
    n_val = static_cast<int>(!in.points.empty());
  } else {
    for (const auto& r : in.runs) {
      const double n = run_params(r, in.count);
      std::vector<CurvePoint> v;
      for (const auto& c : r.eval)
        if (plottable(c)) v.push_back(c);
      const CurvePoint final_val{r.tokens, r.flops, r.final_val_loss};
      if (plottable(final_val) && (v.empty() || v.back().tokens < final_val.tokens))
        v.push_back(final_val);
      for (const auto& c : v) row(val, c, n);
      std::vector<CurvePoint> t;
      for (const auto& c : r.train)
        if (plottable(c)) t.push_back(c);
      for (const auto& c : running_mean(t)) row(train, c, n);
      n_val += !v.empty(), n_train += !t.empty();
      val << "\n\n", train << "\n\n";
    }
  }
  const std::string name = by_flops ? "loss_vs_flops" : "loss_vs_tokens";
  write_file(dir, "loss_curves_val.dat", val.str());
  write_file(dir, "loss_curves_train.dat", train.str());
  if (hi == 0) lo = 1, hi = 10;
  std::string body =
      axes(by_flops ? "training compute C (FLOPs, " + enum_name(in.flop_convention) + ")"
                    : "tokens seen D",
           "loss (nats/token)", true, false);
  body += log_loss_axis(lo, hi);
  body +=
      "set cblabel 'log_{10} N (parameters)'\nset palette defined (0 '#440154', 1 '#3b528b', 2 "
      "'#21918c', 3 '#5ec962', 4 '#fde725')\nset key below box\nset bmargin 6\n";
  body += "set title '" + std::string(by_flops ? "Loss against compute" : "Loss against tokens") +
          ", coloured by model size'\n";
  const std::string x = by_flops ? "2" : "1";
  std::vector<std::string> series;
  if (n_train)
    series.push_back("'loss_curves_train.dat' using " + x +
                     ":3:4 with lines lw 1.5 lc palette title 'training loss (running mean of " +
                     std::to_string(kSmoothWindow) + " logged values)'");
  if (n_val)
    series.push_back(
        "'loss_curves_val.dat' using " + x + ":3:4 with points pt 7 ps 0.7 lc palette title '" +
        std::string(in.runs.empty() ? "final loss of each point" : "validation loss") + "'");
  std::string plot;
  for (const auto& s : series) plot += (plot.empty() ? "plot " : ", ") + s;
  body += (plot.empty() ? "plot NaN notitle" : plot) + "\n";
  render(dir, name, body);
  std::string caption;
  if (in.runs.empty()) {
    caption = "Final loss of each point, colour = log10 N.";
  } else {
    std::vector<std::string> parts;
    if (n_val) parts.push_back("validation loss (points) of " + std::to_string(n_val) + " runs");
    if (n_train)
      parts.push_back("training loss smoothed by a centred running mean of " +
                      std::to_string(kSmoothWindow) + " logged values (lines) of " +
                      std::to_string(n_train) + " runs");
    for (size_t i = 0; i < parts.size(); ++i) caption += (i ? "; " : "") + parts[i];
    if (caption.empty()) caption = "no run has a loss curve";
    caption[0] = static_cast<char>(std::toupper(caption[0]));
    caption += ". Colour = log10 N.";
  }
  return {name, by_flops ? "Loss against FLOPs" : "Loss against tokens", caption};
}

Figure goodness_of_fit(const FitInput& in, const std::vector<FitResult>& fits,
                       const std::string& dir) {
  std::ostringstream dat;
  dat << "# observed chinchilla_approach3 kaplan_nd\n";
  const FitResult* a3 = find_fit(fits, LawId::chinchilla_approach3);
  const FitResult* kn = find_fit(fits, LawId::kaplan_nd);
  ChinchillaLaw c;
  KaplanLaw k;
  if (a3) c = chinchilla_from_fit(*a3);
  if (kn) k = kaplan_from_fit(*kn);
  double lo = 1e300, hi = 0;
  for (const auto& p : in.points) {
    dat << num(p.loss) << " " << (a3 ? num(c.loss(p.N, p.D)) : "NaN") << " "
        << (kn ? num(k.loss(p.N, p.D)) : "NaN") << "\n";
    lo = std::min(lo, p.loss), hi = std::max(hi, p.loss);
  }
  write_file(dir, "goodness_of_fit.dat", dat.str());
  std::string body =
      axes("observed loss (nats/token)", "predicted loss (nats/token)", false, false);
  body +=
      "set title 'Goodness of fit: predicted against observed final loss'\nset key inside left top "
      "box opaque\nset size ratio -1\n";
  body += "set xrange [" + num(lo * 0.97) + ":" + num(hi * 1.03) + "]\nset yrange [" +
          num(lo * 0.97) + ":" + num(hi * 1.03) + "]\n";
  body += "plot x with lines dt 2 lc rgb '#888888' title 'perfect fit (y = x)'";
  if (a3)
    body +=
        ", 'goodness_of_fit.dat' using 1:2 with points pt 7 ps 0.7 lc rgb '#1f77b4' title "
        "'Chinchilla approach 3'";
  if (kn)
    body +=
        ", 'goodness_of_fit.dat' using 1:3 with points pt 6 ps 0.7 lc rgb '#d62728' title 'Kaplan "
        "L(N, D)'";
  body += "\n";
  render(dir, "goodness_of_fit", body, 800, 700);
  return {"goodness_of_fit", "Goodness of fit",
          "Each point's final loss against the fitted law's prediction; points on the dashed line "
          "are fitted exactly."};
}

}  // namespace figures

std::vector<Figure> render_figures(const FitInput& in, const std::vector<FitResult>& fits,
                                   const std::string& dir) {
  using namespace figures;
  std::filesystem::create_directories(dir);
  std::vector<Figure> out;
  // Only identified fits are drawn (fits/identify.h): a law the gate refused gets no line.
  std::vector<FitResult> drawable;
  for (const auto& f : fits)
    if (judged(f).identified) drawable.push_back(f);
  auto fitted = [&](LawId law) { return find_fit(drawable, law); };
  if (!in.runs.empty()) out.push_back(loss_curves(in, dir, false));
  out.push_back(loss_curves(in, dir, true));
  // The IsoFLOP profiles show the data and each budget's parabola whatever the gate said of the
  // power law through their minima.
  if (const FitResult* a2 = find_fit(fits, LawId::chinchilla_approach2))
    out.push_back(isoflop_profiles(*a2, dir));
  if (fitted(LawId::chinchilla_approach2) || fitted(LawId::chinchilla_approach1) ||
      fitted(LawId::chinchilla_approach3))
    out.push_back(allocation(drawable, dir));
  if (const FitResult* a3 = fitted(LawId::chinchilla_approach3))
    out.push_back(isoloss(in, *a3, dir));
  if (fitted(LawId::kaplan_n) || fitted(LawId::kaplan_d))
    out.push_back(kaplan_1d(fitted(LawId::kaplan_n), fitted(LawId::kaplan_d), dir));
  if (fitted(LawId::chinchilla_approach3) || fitted(LawId::kaplan_nd))
    out.push_back(goodness_of_fit(in, drawable, dir));
  if (const FitResult* t = fitted(LawId::transfer)) out.push_back(transfer(*t, in.count, dir));
  if (has_deepnarrow(in)) out.push_back(deepnarrow(in, dir));
  if (const FitResult* dc = fitted(LawId::data_constrained))
    out.push_back(data_constrained_epochs(in, *dc, dir));
  return out;
}

}  // namespace scalelab
