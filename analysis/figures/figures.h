// Figures with gnuplot (PNG via pngcairo, and SVG). Each figure leaves <name>.gp and its data
// files beside the images, so `cd DIR && gnuplot <name>.gp` re-renders it. Every function throws
// when gnuplot is missing or fails, with its error output.
#pragma once

#include <string>
#include <vector>

#include "analysis/fits/fit_result.h"
#include "analysis/fits/tune.h"
#include "analysis/inputs/fit_input.h"
#include "analysis/inputs/loss_curves.h"
#include "analysis/laws/multipower_law.h"

namespace scalelab {

struct Figure {
  std::string name, title, caption;  // files: <name>.png, <name>.svg, <name>.gp
};

// Every figure the data and fits support (the report's figures, analysis/README.md); a figure
// whose fit is missing is left out.
std::vector<Figure> render_figures(const FitInput& in, const std::vector<FitResult>& fits,
                                   const std::string& dir);

// multipower_curves.png / .svg: measured curves with the fitted law (solid), held-out curves with
// its prediction from their schedules alone (dashed).
Figure render_multipower_figure(const std::vector<LossCurve>& fitted,
                                const std::vector<LossCurve>& held_out, const MultiPowerLaw& law,
                                const std::string& dir);

// tune_lr.png / .svg: left, loss against lr per size with its parabola and minimum (refused sizes
// in grey); right, each size's lr_opt against N with the fitted law.
Figure render_tune_figure(const TuneResult& r, const std::string& dir);

}  // namespace scalelab
