// Figures with gnuplot (PNG via pngcairo, and SVG). Each figure leaves <name>.gp and its data
// files beside the images, so `cd DIR && gnuplot <name>.gp` re-renders it.
#pragma once

#include <string>
#include <vector>

#include "analysis/fit_laws.h"
#include "analysis/multipower.h"

namespace scalelab {

struct Figure {
  std::string name, title, caption;  // files: <name>.png, <name>.svg, <name>.gp
};

// Every figure the data supports; figures that need a missing fit are left out. Throws when
// gnuplot is missing or fails, with its error output.
std::vector<Figure> render_figures(const FitInput& in, const std::vector<FitResult>& fits,
                                   const std::string& dir);

namespace plot_detail {
// Writes <dir>/<name>.gp that renders `body` to both <name>.png and <name>.svg, and runs gnuplot.
void render(const std::string& dir, const std::string& name, const std::string& body,
            int width = 900, int height = 600);
void write_file(const std::string& dir, const std::string& file, const std::string& text);
const FitResult* find(const std::vector<FitResult>& fits, const std::string& law);
std::string num(double v);  // %.10g
// Common preamble: grid, key, log-scale tick labels as powers of ten.
std::string axes(const std::string& xlabel, const std::string& ylabel, bool logx, bool logy);
// A log-scale loss axis over [lo, hi] with ~6 labelled tics: losses rarely span a decade, so
// gnuplot's decade tics would leave the axis unlabelled.
std::string log_loss_axis(double lo, double hi);

Figure loss_curves(const FitInput& in, const std::string& dir, bool by_flops);
Figure goodness_of_fit(const FitInput& in, const std::vector<FitResult>& fits,
                       const std::string& dir);
Figure isoflop_profiles(const FitResult& a2, const std::string& dir);
Figure allocation(const std::vector<FitResult>& fits, const std::string& dir);
Figure isoloss(const FitInput& in, const FitResult& a3, const std::string& dir);
Figure kaplan_1d(const FitResult* n, const FitResult* d, const std::string& dir);
// plots_studies.cpp: the side studies, from their tagged runs (docs in analysis/README.md).
Figure transfer(const FitResult& t, ParamCount count, const std::string& dir);
bool has_deepnarrow(
    const FitInput& in);  // runs tagged study=deepnarrow, role pretrain|finetune, depth
Figure deepnarrow(const FitInput& in, const std::string& dir);
// Final loss against epochs D / U per (N, U), with the fitted data-constrained law.
Figure data_constrained_epochs(const FitInput& in, const FitResult& fit, const std::string& dir);
// plots_multipower.cpp: measured curves with the fitted law, and held-out curves with its
// prediction.
Figure multipower_curves(const std::vector<LossCurve>& fitted,
                         const std::vector<LossCurve>& held_out, const MultiPowerLaw& law,
                         const std::string& dir);
}  // namespace plot_detail

}  // namespace scalelab
