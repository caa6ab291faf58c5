#include "analysis/fits/frontier.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace scalelab {

std::vector<FrontierPoint> point_frontier(const std::vector<Point>& pts) {
  std::vector<Point> s = pts;
  std::sort(s.begin(), s.end(), [](const Point& a, const Point& b) { return a.C < b.C; });
  std::vector<FrontierPoint> out;
  double best = std::numeric_limits<double>::infinity();
  for (const auto& p : s)
    if (p.loss < best) {
      best = p.loss;
      out.push_back({p.C, p.loss, p.N, p.D, p.name});
    }
  return out;
}

std::vector<FrontierPoint> curve_frontier(const std::vector<Run>& runs, ParamCount count,
                                          int n_grid) {
  struct Curve {
    std::vector<double> logc, loss, tokens;
    double N;
    std::string name;
  };
  std::vector<Curve> curves;
  std::vector<Point> finals;
  for (const auto& r : runs) {
    if (!is_complete(r.status)) continue;
    const auto& src = r.eval.size() >= 2 ? r.eval : r.train;
    Curve c{{}, {}, {}, run_params(r, count), r.name};
    for (const auto& p : src)
      if (p.flops > 0 && p.loss > 0 && (c.logc.empty() || std::log(p.flops) > c.logc.back()))
        c.logc.push_back(std::log(p.flops)), c.loss.push_back(p.loss), c.tokens.push_back(p.tokens);
    if (c.logc.size() >= 2)
      curves.push_back(std::move(c));
    else
      finals.push_back({run_params(r, count), r.tokens, r.flops, r.final_val_loss, r.name});
  }
  if (curves.empty()) return point_frontier(finals);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& c : curves) lo = std::min(lo, c.logc.front()), hi = std::max(hi, c.logc.back());
  std::vector<FrontierPoint> out;
  for (int g = 0; g < n_grid; ++g) {
    const double lc = lo + (hi - lo) * g / (n_grid - 1);
    FrontierPoint best{std::exp(lc), std::numeric_limits<double>::infinity(), 0, 0, ""};
    for (const auto& c : curves) {
      if (lc < c.logc.front() || lc > c.logc.back()) continue;
      size_t j = std::upper_bound(c.logc.begin(), c.logc.end(), lc) - c.logc.begin();
      j = std::clamp<size_t>(j, 1, c.logc.size() - 1);
      const double t = (lc - c.logc[j - 1]) / (c.logc[j] - c.logc[j - 1]);
      const double loss = c.loss[j - 1] + t * (c.loss[j] - c.loss[j - 1]);
      if (loss < best.loss)
        best = {std::exp(lc), loss, c.N, c.tokens[j - 1] + t * (c.tokens[j] - c.tokens[j - 1]),
                c.name};
    }
    for (const auto& p : finals)  // a run without a curve counts at its own C only
      if (std::abs(std::log(p.C) - lc) < (hi - lo) / (2 * (n_grid - 1)) && p.loss < best.loss)
        best = {p.C, p.loss, p.N, p.D, p.name};
    if (std::isfinite(best.loss)) out.push_back(best);
  }
  return out;
}

std::vector<Point> lower_envelope_by(const std::vector<Point>& pts, bool by_n, double rel_tol) {
  std::vector<Point> s = pts;
  auto key = [by_n](const Point& p) { return by_n ? p.N : p.D; };
  std::sort(s.begin(), s.end(), [&](const Point& a, const Point& b) { return key(a) < key(b); });
  std::vector<Point> out;
  double group_start = 0;
  for (const auto& p : s) {
    if (out.empty() || key(p) > group_start * (1 + rel_tol)) {
      out.push_back(p);
      group_start = key(p);
    } else if (p.loss < out.back().loss) {
      out.back() = p;
    }
  }
  return out;
}

}  // namespace scalelab
