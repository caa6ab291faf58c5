// Figure plumbing plus the figures drawn straight from the data: loss curves, goodness of fit.
#include "analysis/plots.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "analysis/laws.h"

namespace scalelab {
namespace plot_detail {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

void write_file(const std::string& dir, const std::string& file, const std::string& text) {
  std::ofstream out(std::filesystem::path(dir) / file);
  if (!out) throw std::runtime_error(dir + "/" + file + ": cannot write");
  out << text;
}

const FitResult* find(const std::vector<FitResult>& fits, const std::string& law) {
  for (const auto& f : fits)
    if (f.law == law) return &f;
  return nullptr;
}

std::string axes(const std::string& xlabel, const std::string& ylabel, bool logx, bool logy) {
  std::string s =
      "set grid xtics ytics mxtics mytics lc rgb '#dddddd'\nset key outside right top box opaque\n";
  s += "set xlabel '" + xlabel + "'\nset ylabel '" + ylabel + "'\n";
  if (logx) s += "set logscale x\nset format x '10^{%T}'\n";
  if (logy) s += "set logscale y\n";
  return s;
}

std::string log_loss_axis(double lo, double hi) {
  lo /= 1.04, hi *= 1.04;
  std::string tics;
  for (int k = 0; k <= 6; ++k) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2g",
                  std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * k / 6));
    tics += (k ? ", " : "") + std::string(buf);
  }
  return "set logscale y\nset yrange [" + num(lo) + ":" + num(hi) + "]\nset ytics (" + tics +
         ")\nset mytics 1\n";
}

void render(const std::string& dir, const std::string& name, const std::string& body, int w,
            int h) {
  const std::string size = std::to_string(w) + "," + std::to_string(h);
  std::string gp = "# Re-render: gnuplot " + name + ".gp (from this folder)\n";
  gp += "set terminal pngcairo size " + size + " enhanced font 'DejaVu Sans,11'\nset output '" +
        name + ".png'\n" + body;
  gp += "\nreset\nset terminal svg size " + size +
        " enhanced font 'DejaVu Sans,11' background '#ffffff'\nset output '" + name + ".svg'\n" +
        body;
  gp += "\nunset output\n";
  write_file(dir, name + ".gp", gp);
  const std::string cmd =
      "cd '" + dir + "' && gnuplot " + name + ".gp > " + name + ".gnuplot.log 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    std::ifstream log(std::filesystem::path(dir) / (name + ".gnuplot.log"));
    std::stringstream ss;
    ss << log.rdbuf();
    throw std::runtime_error("gnuplot failed on " + dir + "/" + name +
                             ".gp (is gnuplot installed?): " + ss.str());
  }
  std::filesystem::remove(std::filesystem::path(dir) / (name + ".gnuplot.log"));
}

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
  const FitResult* a3 = find(fits, "chinchilla_approach3");
  const FitResult* kn = find(fits, "kaplan_nd");
  ChinchillaLaw c;
  KaplanLaw k;
  if (a3)
    c = {a3->value("E"), a3->value("A"), a3->value("B"), a3->value("alpha"), a3->value("beta")};
  if (kn) k = {kn->value("Nc"), kn->value("alpha_N"), kn->value("Dc"), kn->value("alpha_D")};
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

}  // namespace plot_detail

std::vector<Figure> render_figures(const FitInput& in, const std::vector<FitResult>& fits,
                                   const std::string& dir) {
  using namespace plot_detail;
  std::filesystem::create_directories(dir);
  std::vector<Figure> out;
  if (!in.runs.empty()) out.push_back(loss_curves(in, dir, false));
  out.push_back(loss_curves(in, dir, true));
  if (const FitResult* a2 = find(fits, "chinchilla_approach2"))
    out.push_back(isoflop_profiles(*a2, dir));
  if (find(fits, "chinchilla_approach2") || find(fits, "chinchilla_approach1") ||
      find(fits, "chinchilla_approach3"))
    out.push_back(allocation(fits, dir));
  if (const FitResult* a3 = find(fits, "chinchilla_approach3"))
    out.push_back(isoloss(in, *a3, dir));
  if (find(fits, "kaplan_n") || find(fits, "kaplan_d"))
    out.push_back(kaplan_1d(find(fits, "kaplan_n"), find(fits, "kaplan_d"), dir));
  if (find(fits, "chinchilla_approach3") || find(fits, "kaplan_nd"))
    out.push_back(goodness_of_fit(in, fits, dir));
  if (const FitResult* t = find(fits, "transfer")) out.push_back(transfer(*t, in.count, dir));
  if (has_deepnarrow(in)) out.push_back(deepnarrow(in, dir));
  if (const FitResult* dc = find(fits, "data_constrained"))
    out.push_back(data_constrained_epochs(in, *dc, dir));
  return out;
}

}  // namespace scalelab
