// The report's figure set, plus the figures drawn straight from the data: loss curves, goodness
// of fit.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "analysis/figures/figure_set.h"
#include "analysis/figures/gnuplot.h"
#include "analysis/fits/fitted_laws.h"
#include "analysis/fits/identify.h"

namespace scalelab {
namespace figures {

Figure loss_curves(const FitInput& in, const std::string& dir, bool by_flops) {
  // One block per run (curve, or its final point for CSV input); colour = log10 N.
  std::ostringstream dat;
  dat << "# tokens flops loss log10_N run\n";
  size_t n_blocks = 0;
  double lo = 1e300, hi = 0;
  auto span = [&](double l) { lo = std::min(lo, l), hi = std::max(hi, l); };
  if (in.runs.empty()) {
    for (const auto& p : in.points) span(p.loss);
    for (const auto& p : in.points)
      dat << num(p.D) << " " << num(p.C) << " " << num(p.loss) << " " << num(std::log10(p.N))
          << "\n";
    n_blocks = 1;
  } else {
    for (const auto& r : in.runs) {
      const auto& curve = r.eval.size() >= 2 ? r.eval : r.train;
      const double n = run_params(r, in.count);
      for (const auto& c : curve)
        if (c.tokens > 0 && c.flops > 0 && c.loss > 0)
          span(c.loss), dat << num(c.tokens) << " " << num(c.flops) << " " << num(c.loss) << " "
                            << num(std::log10(n)) << "\n";
      dat << num(r.tokens) << " " << num(r.flops) << " " << num(r.final_val_loss) << " "
          << num(std::log10(n)) << "\n\n\n";
      ++n_blocks;
    }
  }
  const std::string name = by_flops ? "loss_vs_flops" : "loss_vs_tokens";
  write_file(dir, "loss_curves.dat", dat.str());
  std::string body =
      axes(by_flops ? "training compute C (FLOPs, " + enum_name(in.flop_convention) + ")"
                    : "tokens seen D",
           "loss (nats/token)", true, false);
  body += log_loss_axis(lo, hi);
  body +=
      "set cblabel 'log_{10} N (parameters)'\nset palette defined (0 '#440154', 1 '#3b528b', 2 "
      "'#21918c', 3 '#5ec962', 4 '#fde725')\nunset key\n";
  body += "set title '" + std::string(by_flops ? "Loss against compute" : "Loss against tokens") +
          ", coloured by model size'\n";
  const std::string col = by_flops ? "2" : "1";
  body += in.runs.empty()
              ? "plot 'loss_curves.dat' using " + col + ":3:4 with points pt 7 ps 0.8 lc palette\n"
              : "plot 'loss_curves.dat' using " + col + ":3:4 with lines lw 1.5 lc palette\n";
  render(dir, name, body);
  return {name, by_flops ? "Loss against FLOPs" : "Loss against tokens",
          in.runs.empty() ? "Final loss of each point, colour = log10 N."
                          : "Validation (else training) loss curves of " +
                                std::to_string(n_blocks) + " runs, colour = log10 N."};
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
