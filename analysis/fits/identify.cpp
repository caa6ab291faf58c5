#include "analysis/fits/identify.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace scalelab {
namespace {

std::string g3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

const Estimate* find(const FitResult& f, const std::string& name) {
  for (const auto& p : f.params)
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace

JudgedConstants judged_constants(LawId law) {
  switch (law) {
    case LawId::chinchilla_approach1:
    case LawId::chinchilla_approach2:
      return {{"a", "b"}, {}, {}};
    case LawId::chinchilla_approach3:
      return {{"E", "alpha", "beta", "a"}, {}, {}};
    // Kaplan's Nc, Dc, Cc are where the power law reaches 1 nat, far beyond the data: their
    // intervals are the exponent's, amplified by 1/alpha (a tight alpha_N = 0.09 +- 0.02 gives Nc
    // over a factor of 600), so the exponents alone are judged.
    case LawId::kaplan_n:
      return {{"alpha_N"}, {}, {}};
    case LawId::kaplan_d:
      return {{"alpha_D"}, {}, {}};
    case LawId::kaplan_nd:
      return {{"alpha_N", "alpha_D"}, {}, {}};
    case LawId::kaplan_c:
      return {{"alpha_C"}, {}, {}};
    case LawId::transfer:
      return {{"alpha", "beta"}, {}, {}};
    case LawId::data_constrained:  // alpha, beta have intervals only when fitted jointly
      return {{"alpha", "beta"}, {"R_D_star"}, {}};
    // Luo et al. 2025: L falls with the lr area (alpha > 0) and with every decay (beta > 0); a
    // fit with either <= 0 describes some other curve (a rising one once gave beta = -0.63).
    case LawId::multipower:
      return {{}, {}, {"alpha", "beta"}};
  }
  return {};
}

void identify(FitResult& fit, double max_failed_share) {
  std::vector<std::string> why;
  bool any_interval = false;
  std::string zero_width;
  for (const auto& p : fit.params) {
    if (!std::isfinite(p.value)) why.push_back(p.name + " is not finite");
    if (!p.has_ci()) continue;
    any_interval = true;
    if (p.hi - p.lo <= 1e-9 * std::abs(p.value))
      zero_width += (zero_width.empty() ? "" : ", ") + p.name + " = " + g3(p.value);
  }
  if (!zero_width.empty())
    why.push_back("zero-width intervals: " + zero_width +
                  " (every resample gave the same value: the data do not move them)");
  if (!any_interval) why.push_back("no bootstrap intervals (fit with --bootstrap)");
  if (fit.procedure.contains("bootstrap")) {
    const auto& b = fit.procedure["bootstrap"];
    const double failed = b.value("failed", 0.0), total = b.value("resamples", 0.0);
    if (total > 0 && failed / total > max_failed_share)
      why.push_back("the bootstrap lost " + g3(100 * failed / total) + "% of its resamples (" +
                    g3(failed) + " of " + g3(total) + "), more than the " +
                    g3(100 * max_failed_share) + "% allowed");
  }
  if (fit.procedure.contains("at_bounds"))
    for (const auto& b : fit.procedure["at_bounds"])
      if (b.is_string()) why.push_back("at a search bound: " + b.get<std::string>());
  const JudgedConstants judged = judged_constants(fit.law);
  for (const auto& name : judged.signal) {
    const Estimate* e = find(fit, name);
    if (e && e->has_ci() && e->hi - e->lo >= std::abs(e->value))
      why.push_back("the 95% interval of " + name + " (" + g3(e->lo) + " to " + g3(e->hi) +
                    ") is wider than its value " + g3(e->value));
  }
  for (const auto& name : judged.positive) {
    const Estimate* e = find(fit, name);
    if (e && !(e->value > 0))
      why.push_back(name + " = " + g3(e->value) + ", not above 0 as the law's shape requires");
  }
  for (const auto& name : judged.scale) {
    const Estimate* e = find(fit, name);
    if (e && e->has_ci() && !(e->lo > 0 && e->hi <= kMaxScaleRatio * e->lo))
      why.push_back("the 95% interval of " + name + " (" + g3(e->lo) + " to " + g3(e->hi) +
                    ") spans more than a factor of " + g3(kMaxScaleRatio));
  }
  fit.identified = why.empty();
  fit.not_identified = why;
}

FitResult judged(const FitResult& fit) {
  FitResult g = fit;
  const auto& b = fit.procedure.value("bootstrap", nlohmann::json::object());
  identify(g, b.is_object() ? b.value("max_failed_share", kDefaultMaxFailedShare)
                            : kDefaultMaxFailedShare);
  return g;
}

std::string not_identified_text(const FitResult& fit) {
  if (fit.identified) return "";
  std::string s;
  for (const auto& w : fit.not_identified) s += (s.empty() ? "" : "; ") + w;
  return "not identified (" + s + ")";
}

void require_identified(const FitResult& fit, const std::string& what) {
  if (fit.identified) return;
  throw std::runtime_error(what + ": " + enum_name(fit.law) + " is " + not_identified_text(fit));
}

}  // namespace scalelab
