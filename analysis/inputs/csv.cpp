// CSV of points with named columns (e.g. the Chinchilla Figure 4 data: "Model Size",
// "Training FLOP", "loss").
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "analysis/inputs/points.h"

namespace scalelab {
namespace {

// RFC 4180 fields: commas inside double quotes, "" for a literal quote.
std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"')
        out.back() += '"', ++i;
      else if (ch == '"')
        quoted = false;
      else
        out.back() += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.emplace_back();
    } else if (ch != '\r') {
      out.back() += ch;
    }
  }
  return out;
}

}  // namespace

void require_points(size_t have, size_t need, const std::string& law) {
  if (have < need)
    throw std::runtime_error(law + ": needs at least " + std::to_string(need) + " points, got " +
                             std::to_string(have));
}

std::vector<Point> read_csv_points(const std::string& path, const CsvColumns& cols) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open CSV file");
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path + ": empty CSV file");
  auto header = split_csv_line(line);
  auto find = [&](const std::string& name) -> int {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    return -1;
  };
  std::string names;
  for (const auto& h : header) names += (names.empty() ? "" : ", ") + ("'" + h + "'");
  auto need = [&](const std::string& name, const char* flag) {
    int i = find(name);
    if (i < 0)
      throw std::runtime_error(path + ": no column '" + name + "' (" + flag + "); columns are " +
                               names);
    return i;
  };
  const int in_n = need(cols.n, "--n-col"), in_loss = need(cols.loss, "--loss-col");
  const int in_d = find(cols.d), in_c = find(cols.c), in_u = find(cols.u);
  if (in_d < 0 && in_c < 0)
    throw std::runtime_error(path + ": needs a tokens column '" + cols.d +
                             "' (--d-col) or a FLOPs column '" + cols.c +
                             "' (--c-col); columns are " + names);
  std::vector<Point> points;
  for (int row = 2; std::getline(in, line); ++row) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto f = split_csv_line(line);
    auto value = [&](int col) {
      const std::string where = path + ":" + std::to_string(row) + ": column '" + header[col] + "'";
      if (col >= static_cast<int>(f.size())) throw std::runtime_error(where + " is missing");
      double v;
      std::istringstream ss(f[col]);
      if (!(ss >> v) || !std::isfinite(v))
        throw std::runtime_error(where + ": '" + f[col] + "' is not a number");
      if (!(v > 0)) throw std::runtime_error(where + ": " + f[col] + " must be positive");
      return v;
    };
    Point p;
    p.N = value(in_n);
    p.loss = value(in_loss);
    if (in_d >= 0) p.D = value(in_d);
    if (in_c >= 0) p.C = value(in_c);
    if (in_u >= 0) p.U = value(in_u);
    if (in_d < 0) p.D = p.C / (6.0 * p.N);  // C = 6 N D (Kaplan et al. 2020, sec. 2.1)
    if (in_c < 0) p.C = 6.0 * p.N * p.D;
    p.name = "row " + std::to_string(row);
    points.push_back(p);
  }
  if (points.empty()) throw std::runtime_error(path + ": no data rows");
  return points;
}

}  // namespace scalelab
