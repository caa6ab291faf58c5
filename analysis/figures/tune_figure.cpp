// The tune figure: the learning-rate curves of every size and the law through their optima.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "analysis/figures/figures.h"
#include "analysis/figures/gnuplot.h"

namespace scalelab {

using namespace figures;

Figure render_tune_figure(const TuneResult& r, const std::string& dir) {
  std::ostringstream pts, curves, minima, law;
  double lr_lo = INFINITY, lr_hi = 0, loss_lo = INFINITY, loss_hi = 0;
  for (const auto& c : r.curves) {
    const double ln = std::log10(c.N);
    const bool used = c.refusal.empty();
    for (size_t i = 0; i < c.lr.size(); ++i) {
      pts << num(c.lr[i]) << " " << num(c.loss[i]) << " " << num(ln) << " " << used << "\n";
      lr_lo = std::min(lr_lo, c.lr[i]), lr_hi = std::max(lr_hi, c.lr[i]);
      loss_lo = std::min(loss_lo, c.loss[i]), loss_hi = std::max(loss_hi, c.loss[i]);
    }
    if (!used) continue;
    const double a = std::log(c.lr[c.fit_begin]), b = std::log(c.lr[c.fit_end - 1]);
    for (int k = 0; k <= 60; ++k) {
      const double lr = std::exp(a + (b - a) * k / 60);
      curves << num(lr) << " " << num(c.at(lr)) << " " << num(ln) << "\n";
    }
    curves << "\n\n";
  }
  const Hparams& h = r.hparams;
  // Losses of runs far above the optimum (a diverging lr) would flatten every curve: the axis
  // stops at twice the lowest loss, and includes the fitted minima.
  for (const auto& s : h.sizes) loss_lo = std::min(loss_lo, s.loss_opt);
  loss_hi = std::min(loss_hi, 2 * loss_lo);
  for (const auto& s : h.sizes)
    minima << num(s.N) << " " << num(s.lr_opt) << " " << num(s.loss_opt) << " "
           << num(std::log10(s.N)) << "\n";
  const double n_lo = h.n_min() / 1.5, n_hi = h.n_max() * 1.5;
  for (int k = 0; k <= 20; ++k) {
    const double N = std::exp(std::log(n_lo) + (std::log(n_hi) - std::log(n_lo)) * k / 20);
    law << num(N) << " " << num(h.lr(N)) << "\n";
  }
  write_file(dir, "tune_points.dat", "# lr loss log10_N used\n" + pts.str());
  write_file(dir, "tune_parabolas.dat", "# lr loss log10_N\n" + curves.str());
  write_file(dir, "tune_minima.dat", "# N lr_opt loss_opt log10_N\n" + minima.str());
  write_file(dir, "tune_law.dat", "# N lr_opt(N)\n" + law.str());
  std::string body =
      "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n"
      "set multiplot layout 1,2\nset cblabel 'log_{10} N'\n";
  body += axes("peak learning rate", "final validation loss (nats/token)", true, false);
  body += "set xrange [" + num(lr_lo / 1.5) + ":" + num(lr_hi * 1.5) + "]\n";
  body += log_loss_axis(loss_lo, loss_hi);
  body +=
      "set key below box\nset bmargin 7\nset title 'loss against lr, per model size'\n"
      "plot 'tune_parabolas.dat' using 1:2:3 with lines lw 2 lc palette title 'parabola in log "
      "lr', 'tune_points.dat' using ($4 > 0 ? $1 : NaN):2:3 with points pt 7 lc palette title "
      "'runs', 'tune_points.dat' using ($4 > 0 ? NaN : $1):2 with points pt 6 lc rgb '#999999' "
      "title 'refused (edge optimum)', 'tune_minima.dat' using 2:3 with points pt 3 ps 2 lw 2 lc "
      "rgb '#d62728' title 'lr_{opt}'\n";
  body +=
      "reset\nset grid\nset logscale xy\nset format x '10^{%T}'\nset key below box\nset bmargin "
      "7\n";
  body += "set xlabel 'parameters N (" + h.params_counted + ")'\nset ylabel 'lr_{opt}'\n";
  char title[160];
  std::snprintf(title, sizeof title, "lr_{opt}(N) = %.3g N^{-%.3f}", h.lr.c, h.lr.k);
  body += std::string("set title '") + title + "'\n";
  body +=
      "plot 'tune_law.dat' using 1:2 with lines lw 2 lc rgb '#d62728' title 'fitted law', "
      "'tune_minima.dat' using 1:2 with points pt 7 ps 1.5 lc rgb '#3b528b' title 'each size''s "
      "optimum'\nunset multiplot\n";
  render(dir, "tune_lr", body, 1400, 600);
  return {
      "tune_lr", "Learning rate per model size",
      "Left: each size's final losses against its peak lr, with the parabola in log(lr) and its "
      "minimum; right: the optima against N with the fitted lr_opt(N) = c N^-k."};
}

}  // namespace scalelab
