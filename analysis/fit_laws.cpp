#include "analysis/fit_laws.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "analysis/allocation.h"
#include "analysis/approach3.h"
#include "analysis/data_constrained.h"
#include "analysis/kaplan_fit.h"
#include "analysis/multipower.h"
#include "analysis/transfer.h"

namespace scalelab {
namespace {

bool has_tag(const Run& r, const char* key, const char* value) {
  return r.tags.contains(key) && r.tags[key] == value;
}

// The runs that are points of a scaling curve: not the transfer study's (its own law), not the
// trunks of a branched grid (constant-lr runs whose branches are the points).
std::vector<Run> scaling_runs(const std::vector<Run>& runs) {
  std::vector<Run> out;
  for (const auto& r : runs)
    if (!has_tag(r, "study", "transfer") && !has_tag(r, "branching", "trunk")) out.push_back(r);
  return out;
}

}  // namespace

FitInput load_fit_input(const std::string& path, const CsvColumns& cols,
                        const RunReadOptions& ropts, ParamCount count) {
  FitInput in;
  in.source = path;
  in.count = count;
  in.flop_convention = ropts.flop_convention;
  if (std::filesystem::is_regular_file(path)) {
    if (std::filesystem::path(path).extension() != ".csv")
      throw std::runtime_error(path + ": expected a .csv file or a folder of runs");
    in.from_csv = true;
    in.points = read_csv_points(path, cols);
    return in;
  }
  if (!std::filesystem::exists(path)) throw std::runtime_error(path + ": no such file or folder");
  RunSet set = read_runs(path, ropts);
  in.runs = std::move(set.runs);
  in.unfinished = std::move(set.unfinished);
  in.notes = std::move(set.notes);
  in.left_out = std::move(set.left_out);
  const std::vector<Run> main_runs = scaling_runs(in.runs);
  in.points = run_points(main_runs, count);
  size_t n_transfer = 0, n_trunks = 0;
  for (const auto& r : in.runs) {
    n_transfer += has_tag(r, "study", "transfer");
    n_trunks += has_tag(r, "branching", "trunk");
  }
  if (n_transfer > 0)
    in.notes.push_back(std::to_string(n_transfer) +
                       " transfer-study run(s) used only by the transfer fit");
  if (n_trunks > 0)
    in.notes.push_back(
        std::to_string(n_trunks) +
        " trunk run(s) of a branched grid left out (each budget's point is its branch)");
  return in;
}

std::vector<FitResult> fit_laws(const FitInput& in, FitLaw law, const FitOptions& opts,
                                std::vector<std::string>& skipped) {
  const bool all = law == FitLaw::all;
  std::vector<FitResult> out;
  const std::vector<Run> main_runs = scaling_runs(in.runs);
  auto attempt = [&](const std::string& name, const auto& fn) {
    try {
      FitResult f = fn();
      f.data["source"] = in.source;
      if (!in.from_csv) {
        f.data["params_counted"] = in.count == ParamCount::total ? "total" : "non-embedding";
        f.data["flop_convention"] = enum_name(in.flop_convention);
      }
      out.push_back(std::move(f));
    } catch (const std::runtime_error& e) {
      if (!all) throw;
      skipped.push_back(name + ": " + e.what());
    }
  };
  if (all || law == FitLaw::chinchilla)
    attempt("chinchilla_approach3", [&] { return chinchilla_approach3(in.points, opts); });
  if (all || law == FitLaw::kaplan) {
    attempt("kaplan_nd", [&] { return fit_kaplan_nd(in.points, opts); });
    attempt("kaplan_n", [&] { return fit_kaplan_n(in.points, opts); });
    attempt("kaplan_d", [&] { return fit_kaplan_d(in.points, opts); });
    attempt("kaplan_c", [&] { return fit_kaplan_c(in.points, main_runs, in.count, opts); });
  }
  if (all || law == FitLaw::approach1)
    attempt("chinchilla_approach1",
            [&] { return fit_approach1(in.points, main_runs, in.count, opts); });
  if (all || law == FitLaw::approach2)
    attempt("chinchilla_approach2", [&] { return fit_approach2(in.points, opts); });
  if (all || law == FitLaw::transfer) {
    if (in.from_csv) {
      if (!all)
        throw std::runtime_error(
            "transfer: needs run folders tagged by the transfer study, not a CSV");
      skipped.push_back("transfer: needs run folders tagged by the transfer study");
    } else {
      attempt("transfer", [&] { return fit_transfer(in.runs, in.count, opts); });
    }
  }
  if (law == FitLaw::data_constrained ||
      (all &&
       std::any_of(in.points.begin(), in.points.end(), [](const Point& p) { return p.U > 0; }))) {
    attempt("data_constrained", [&] {
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
    attempt("multipower",
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
    s += f.law + " (" + f.procedure.value("model", "") + ")\n";
    for (const auto& p : f.params) {
      char line[192];
      std::snprintf(line, sizeof line, "  %-8s %s\n", p.name.c_str(), format_estimate(p).c_str());
      s += line;
    }
    for (const auto& n : f.notes) s += "  note: " + n + "\n";
  }
  return s;
}

}  // namespace scalelab
