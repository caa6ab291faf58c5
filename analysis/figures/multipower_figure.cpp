// The Multi-Power Law's figure: measured loss curves (points) with the fitted law (solid lines)
// and, for curves held out of the fit, the law's prediction (dashed).
#include <algorithm>
#include <sstream>

#include "analysis/figures/figures.h"
#include "analysis/figures/gnuplot.h"

namespace scalelab {

using namespace figures;

Figure render_multipower_figure(const std::vector<LossCurve>& fitted,
                                const std::vector<LossCurve>& held_out, const MultiPowerLaw& law,
                                const std::string& dir) {
  std::ostringstream dat;
  dat << "# step measured_loss law_loss; one block per curve: fitted curves, then held-out ones\n";
  double lo = 1e300, hi = 0;
  std::vector<std::pair<std::string, bool>> blocks;  // name, held out
  auto add = [&](const LossCurve& c, bool is_held_out) {
    const auto predicted = MultiPowerCurve(c.lr, c.steps).predict(law);
    // Every point would be thousands of markers: at most ~60 per curve, and the last.
    const size_t stride = std::max<size_t>(1, c.steps.size() / 60);
    for (size_t i = 0; i < c.steps.size(); ++i) {
      lo = std::min({lo, c.loss[i], predicted[i]}), hi = std::max({hi, c.loss[i], predicted[i]});
      const bool marker = i % stride == 0 || i + 1 == c.steps.size();
      dat << c.steps[i] << " " << (marker ? num(c.loss[i]) : "NaN") << " " << num(predicted[i])
          << "\n";
    }
    dat << "\n\n";
    blocks.emplace_back(c.name, is_held_out);
  };
  for (const auto& c : fitted) add(c, false);
  for (const auto& c : held_out) add(c, true);
  write_file(dir, "multipower.dat", dat.str());

  std::string body = axes("step", "training loss (nats/token)", false, false);
  body += "set key outside right top\nset title 'Multi-Power Law: " +
          std::string(held_out.empty() ? "fitted" : "fitted and predicted") + " loss curves'\n";
  body += "set yrange [" + num(lo - 0.02 * (hi - lo)) + ":" + num(hi + 0.02 * (hi - lo)) + "]\n";
  body += "plot ";
  for (size_t b = 0; b < blocks.size(); ++b) {
    const auto& [name, is_held_out] = blocks[b];
    const std::string index = std::to_string(b), colour = std::to_string(b + 1);
    if (b) body += ", \\\n  ";
    body += "'multipower.dat' index " + index + " using 1:2 with points pt 7 ps 0.5 lc " + colour +
            " title '" + name + "' noenhanced";
    body += ", '' index " + index + " using 1:3 with lines lw 2 dt " + (is_held_out ? "2" : "1") +
            " lc " + colour + " title '" + (is_held_out ? "predicted" : "fit") + "'";
  }
  body += "\n";
  render(dir, "multipower_curves", body, 1200, 650);
  return {"multipower_curves", "Multi-Power Law curves",
          "Measured training loss (points) of " + std::to_string(fitted.size()) +
              " fitted curves with the fitted law (solid)" +
              (held_out.empty()
                   ? std::string(".")
                   : " and of " + std::to_string(held_out.size()) +
                         " held-out curves with the law's prediction from their schedule alone "
                         "(dashed).")};
}

}  // namespace scalelab
