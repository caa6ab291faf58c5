// What every figure of this folder is drawn with: data files and a gnuplot script that renders
// both PNG and SVG. Used only inside figures/.
#pragma once

#include <string>

namespace scalelab::figures {

// Writes <dir>/<name>.gp that renders `body` to both <name>.png and <name>.svg, and runs gnuplot.
void render(const std::string& dir, const std::string& name, const std::string& body,
            int width = 900, int height = 600);
void write_file(const std::string& dir, const std::string& file, const std::string& text);
std::string num(double v);  // %.10g
// Common preamble: grid, key, log-scale tick labels as powers of ten.
std::string axes(const std::string& xlabel, const std::string& ylabel, bool logx, bool logy);
// A log-scale loss axis over [lo, hi] with ~6 labelled tics: losses rarely span a decade, so
// gnuplot's decade tics would leave the axis unlabelled.
std::string log_loss_axis(double lo, double hi);

}  // namespace scalelab::figures
