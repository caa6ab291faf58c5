#include "analysis/fits/fit_laws.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "analysis/fits/approach1.h"
#include "analysis/fits/approach2.h"
#include "analysis/fits/approach3.h"
#include "analysis/fits/data_constrained_fit.h"
#include "analysis/fits/fitted_laws.h"
#include "analysis/fits/identify.h"
#include "analysis/fits/kaplan_fit.h"
#include "analysis/fits/multipower_fit.h"
#include "analysis/fits/transfer.h"
#include "analysis/inputs/loss_curves.h"

namespace scalelab {

std::vector<FitResult> fit_laws(const FitInput& in, FitLaw law, const FitOptions& opts,
                                std::vector<std::string>& skipped) {
  const bool all = law == FitLaw::all;
  std::vector<FitResult> out;
  const std::vector<Run> main_runs = scaling_runs(in.runs);
  auto attempt = [&](LawId id, const auto& fn) {
    try {
      FitResult f = fn();
      identify(f, opts.max_failed_share);  // the gate, also for fits without a bootstrap
      f.data["source"] = in.source;
      if (!in.from_csv) {
        f.data["params_counted"] = in.count == ParamCount::total ? "total" : "non-embedding";
        f.data["flop_convention"] = enum_name(in.flop_convention);
      }
      out.push_back(std::move(f));
    } catch (const std::runtime_error& e) {
      if (!all) throw;
      skipped.push_back(enum_name(id) + ": " + e.what());
    }
  };
  if (all || law == FitLaw::chinchilla)
    attempt(LawId::chinchilla_approach3, [&] { return chinchilla_approach3(in.points, opts); });
  if (all || law == FitLaw::kaplan) {
    attempt(LawId::kaplan_nd, [&] { return fit_kaplan_nd(in.points, opts); });
    attempt(LawId::kaplan_n, [&] { return fit_kaplan_n(in.points, opts); });
    attempt(LawId::kaplan_d, [&] { return fit_kaplan_d(in.points, opts); });
    attempt(LawId::kaplan_c, [&] { return fit_kaplan_c(in.points, main_runs, in.count, opts); });
  }
  if (all || law == FitLaw::approach1)
    attempt(LawId::chinchilla_approach1,
            [&] { return fit_approach1(in.points, main_runs, in.count, opts); });
  if (all || law == FitLaw::approach2)
    attempt(LawId::chinchilla_approach2, [&] { return fit_approach2(in.points, opts); });
  if (all || law == FitLaw::transfer) {
    if (in.from_csv) {
      if (!all)
        throw std::runtime_error(
            "transfer: needs run folders tagged by the transfer study, not a CSV");
      skipped.push_back("transfer: needs run folders tagged by the transfer study");
    } else {
      attempt(LawId::transfer, [&] { return fit_transfer(in.runs, in.count, opts); });
    }
  }
  if (law == FitLaw::data_constrained ||
      (all &&
       std::any_of(in.points.begin(), in.points.end(), [](const Point& p) { return p.U > 0; }))) {
    attempt(LawId::data_constrained, [&] {
      if (opts.fresh_fit.empty()) return fit_data_constrained(in.points, opts);
      const ChinchillaLaw base = fresh_law_from_fits(opts.fresh_fit);
      return fit_data_constrained(in.points, opts, &base, opts.fresh_fit);
    });
  }
  if (law == FitLaw::multipower) {  // never part of all: it needs curves of one size
    if (in.from_csv)
      throw std::runtime_error(
          "multipower: needs loss curves (CSVs of step, lr, loss or run folders), not final "
          "points");
    std::vector<std::string> paths, notes;
    for (const auto& r : main_runs) paths.push_back(r.path);
    attempt(LawId::multipower,
            [&] { return fit_multipower(load_multipower_curves(paths, notes), opts); });
  }
  return out;
}

std::string format_estimate(const Estimate& e) {
  char buf[128];
  if (e.has_ci())
    std::snprintf(buf, sizeof buf, "%.4g [%.4g, %.4g]", e.value, e.lo, e.hi);
  else
    std::snprintf(buf, sizeof buf, "%.4g", e.value);
  return buf;
}

std::string format_fits(const std::vector<FitResult>& fits) {
  std::string s;
  for (const auto& f : fits) {
    s += enum_name(f.law) + " (" + f.procedure.value("model", "") + ")\n";
    for (const auto& p : f.params) {
      // An unidentified fit's constants are printed without their intervals.
      Estimate shown = p;
      if (!f.identified) shown.lo = shown.hi = NAN;
      char line[192];
      std::snprintf(line, sizeof line, "  %-8s %s\n", p.name.c_str(),
                    format_estimate(shown).c_str());
      s += line;
    }
    if (!f.identified) s += "  " + not_identified_text(f) + "\n";
    for (const auto& n : f.notes) s += "  note: " + n + "\n";
  }
  return s;
}

}  // namespace scalelab
