#include "analysis/figures/coord_check_figure.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "analysis/figures/gnuplot.h"

namespace scalelab {

using namespace figures;

namespace {

// Layers from the first (dark) to the last (bright), as in mup's plots: viridis at 8 stops.
std::string colour(size_t i, size_t n) {
  static const char* viridis[] = {"#440154", "#46327e", "#365c8d", "#277f8e",
                                  "#1fa187", "#4ac16d", "#a0da39", "#fde725"};
  const double t = n > 1 ? double(i) / double(n - 1) : 0.0;
  return viridis[std::min<size_t>(7, size_t(std::lround(t * 7)))];
}

// Enhanced text would read "_" as a subscript.
std::string escaped(std::string s) {
  for (size_t at = s.find('_'); at != std::string::npos; at = s.find('_', at + 2))
    s.replace(at, 1, "\\_");
  return s;
}

}  // namespace

Figure render_coord_check_figure(const std::vector<CoordPanel>& panels, int columns,
                                 const std::string& dir, const std::string& name) {
  columns = std::max(1, columns);
  const int rows = (int(panels.size()) + columns - 1) / columns;
  double lo = INFINITY, hi = 0;
  for (const auto& p : panels)
    for (const auto& row : p.scale)
      for (double v : row)
        if (v > 0 && std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  std::string body = "set multiplot layout " + std::to_string(rows) + "," +
                     std::to_string(columns) + " title 'mean |activation| against model size'\n";
  for (size_t k = 0; k < panels.size(); ++k) {
    const auto& p = panels[k];
    std::ostringstream dat;
    dat << "# x";
    for (const auto& l : p.layers) dat << " " << l;
    dat << "\n";
    for (size_t j = 0; j < p.xs.size(); ++j) {
      dat << num(p.xs[j]);
      for (const auto& row : p.scale) dat << " " << (std::isfinite(row[j]) ? num(row[j]) : "NaN");
      dat << "\n";
    }
    const std::string file = name + "_" + std::to_string(k) + ".dat";
    write_file(dir, file, dat.str());
    body += "reset\n" + axes(p.xlabel, "mean |x|", false, true);
    body += "set logscale x 2\nset format x '%g'\n";
    // One legend, inside the first panel of the second row (at initialisation: its top is empty).
    const size_t legend_panel = panels.size() > size_t(columns) ? size_t(columns) : 0;
    body += k == legend_panel ? "set key inside top left box opaque font ',8'\n" : "unset key\n";
    body += "set yrange [" + num(lo / 2) + ":" + num(hi * 2) + "]\nset title '" + p.title + "'\n";
    body += "plot ";
    for (size_t i = 0; i < p.layers.size(); ++i)
      body += std::string(i ? ", " : "") + "'" + file + "' using 1:" + std::to_string(i + 2) +
              " with linespoints lw 2 pt 7 lc rgb '" + colour(i, p.layers.size()) + "' title '" +
              escaped(p.layers[i]) + "'";
    body += "\n";
  }
  body += "unset multiplot\n";
  render(dir, name, body, 330 * columns, 300 * rows + 40);
  return {name, "Coordinate check",
          "Mean |x| of each layer's output against width (or depth), log-log, after 0..S Adam "
          "steps at one lr: flat lines mean the parameterization keeps every layer's scale as "
          "the model grows (Yang et al. 2022, sec. 4)."};
}

}  // namespace scalelab
