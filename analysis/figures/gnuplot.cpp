#include "analysis/figures/gnuplot.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace scalelab::figures {

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

}  // namespace scalelab::figures
