// The coordinate-check figure (`scalelab coord-check`): each layer's activation scale against
// model width (or depth), log-log, one panel per parameterization and step, in the style of
// microsoft/mup's coord_check plots. Torch-free: it draws numbers the trainer measured.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/figures/figures.h"

namespace scalelab {

// One panel: the scale of each layer (rows of `scale`, named by `layers`) at each x.
struct CoordPanel {
  std::string title;   // e.g. "mup, step 3"
  std::string xlabel;  // "width (n_embd)" or "depth (n_layer)"
  std::vector<double> xs;
  std::vector<std::string> layers;
  std::vector<std::vector<double>> scale;  // [layer][x]: mean |x|; NaN: no such layer there
};

// <name>.png / .svg / .gp and <name>_<k>.dat in dir; panels laid out `columns` to a row.
Figure render_coord_check_figure(const std::vector<CoordPanel>& panels, int columns,
                                 const std::string& dir, const std::string& name = "coord_check");

}  // namespace scalelab
