#include "analysis/report/report.h"

#include "analysis/fits/identify.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "analysis/fits/fitted_laws.h"
#include "analysis/laws/data_constrained_law.h"
#include "analysis/laws/laws.h"
#include "analysis/report/blocks.h"
#include "analysis/report/sections.h"

namespace fs = std::filesystem;

namespace scalelab {
namespace {

using report::Block;
using report::fmt;

std::string g3(double v) {
  return fmt("%.3g", v);
}

}  // namespace

Recommendation recommend(const FitInput& in, const FitResult& f, double C) {
  Recommendation r;
  r.law = f.law;
  r.C = C;
  const bool approach3 = f.law == LawId::chinchilla_approach3;
  double n_min = INFINITY, n_max = 0, c_max = 0;
  for (const auto& p : in.points) {
    n_min = std::min(n_min, p.N), n_max = std::max(n_max, p.N);
    c_max = std::max(c_max, p.C);
  }
  // The identifiability gate (fits/identify.h), judged afresh so that a fit built in memory or
  // read from an old fits.json is held to the same rule: intervals, failed resamples, bounds.
  r.why_not = judged(f).not_identified;
  // A physical range.
  if (approach3) {
    const double E = f.value("E"), alpha = f.value("alpha"), beta = f.value("beta");
    if (!(E > kMinIrreducibleLoss))
      r.why_not.push_back("E = " + g3(E) + ", not above " + g3(kMinIrreducibleLoss) +
                          " (an irreducible loss of zero is not physical)");
    if (!(alpha > 0.01 && alpha < 2) || !(beta > 0.01 && beta < 2))
      r.why_not.push_back("alpha = " + g3(alpha) + ", beta = " + g3(beta) +
                          ", outside the physical range 0.01 to 2");
    r.N = chinchilla_from_fit(f).optimal_params(C);
  } else {
    const double a = f.value("a");
    if (!(a > 0 && a < 1.5)) r.why_not.push_back("a = " + g3(a) + ", outside 0 to 1.5");
    r.N = f.value("k_N") * std::pow(C, a);
  }
  r.D = C / (6 * r.N);
  if (!(r.N >= kMinOptimalParams))
    r.why_not.push_back("N_opt = " + g3(r.N) + " parameters, below " + g3(kMinOptimalParams));
  if (!(r.D >= kMinOptimalParams))
    r.why_not.push_back("D_opt = " + g3(r.D) + " tokens, below " + g3(kMinOptimalParams));
  // Extrapolation within a stated factor of the data.
  if (c_max > 0 && C > kMaxExtrapolation * c_max * (1 + 1e-9))
    r.why_not.push_back("C = " + g3(C) + " is more than " + g3(kMaxExtrapolation) +
                        "x the largest run's " + g3(c_max));
  if (n_max > 0 && std::isfinite(r.N) && r.N > 0 &&
      (r.N > kMaxExtrapolation * n_max || r.N < n_min / kMaxExtrapolation))
    r.why_not.push_back("N_opt = " + g3(r.N) + " is more than " + g3(kMaxExtrapolation) +
                        "x outside the runs' N (" + g3(n_min) + " to " + g3(n_max) + ")");
  r.identified = r.why_not.empty();
  return r;
}

std::optional<FlopConvention> report_flop_convention(const FitInput& in,
                                                     const std::vector<FitResult>& fits,
                                                     std::string* why) {
  auto parse = [](const std::string& name) { return find_enum<FlopConvention>(name); };
  for (const auto& f : fits)
    if (f.data.contains("flop_convention") && f.data["flop_convention"].is_string())
      if (auto c = parse(f.data["flop_convention"].get<std::string>())) {
        if (why)
          *why =
              "C under the " + enum_name(*c) + " convention, the one " + enum_name(f.law) + " used";
        return c;
      }
  std::map<std::string, int> votes;
  for (const auto& r : in.runs)
    if (!r.budget_convention.empty()) ++votes[r.budget_convention];
  std::string best;
  for (const auto& [name, n] : votes)
    if (best.empty() || n > votes[best]) best = name;
  if (auto c = parse(best)) {
    if (why) *why = "C under the " + best + " convention, the one the sweep's budgets were set in";
    return c;
  }
  return std::nullopt;
}

std::string base64(const std::string& in) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += abc[(v >> 18) & 63];
    out += abc[(v >> 12) & 63];
    out += i + 1 < in.size() ? abc[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? abc[v & 63] : '=';
  }
  return out;
}

std::vector<std::string> plain_summary(const FitInput& in, const std::vector<FitResult>& fits,
                                       const std::vector<std::string>& skipped) {
  std::vector<std::string> s;
  if (in.points.size() < 10)
    s.push_back("Only " + std::to_string(in.points.size()) +
                " finished runs: too few to support a conclusion about "
                "exponents; treat every number below as provisional.");
  double cmax = 0;
  for (const auto& p : in.points) cmax = std::max(cmax, p.C);
  // The allocation exponent a (N_opt ~ C^a) from the most complete method available.
  for (LawId law :
       {LawId::chinchilla_approach3, LawId::chinchilla_approach2, LawId::chinchilla_approach1}) {
    const FitResult* f = find_fit(fits, law);
    if (!f) continue;
    const Estimate& a = f->at("a");
    std::string line = "From " + enum_name(law) + ": your a = " + fmt("%.2f", a.value);
    if (a.has_ci())
      line += " +/- " + fmt("%.2f", (a.hi - a.lo) / 2) + " (95% interval " + fmt("%.2f", a.lo) +
              " to " + fmt("%.2f", a.hi) + ")";
    line += "; Chinchilla 0.50, Kaplan 0.73.";
    if (a.has_ci()) {
      const bool chin = a.lo <= 0.5 && 0.5 <= a.hi, kap = a.lo <= 0.73 && 0.73 <= a.hi;
      line += chin && kap ? " The interval holds both references: the data cannot tell them apart."
              : chin      ? " Consistent with Chinchilla, not with Kaplan."
              : kap       ? " Consistent with Kaplan, not with Chinchilla."
                          : " The interval excludes both references.";
      if (a.hi - a.lo > 0.3)
        line +=
            " The interval is wide: more runs or budgets are needed before drawing a conclusion.";
    } else {
      line += " No bootstrap was run, so there is no interval: run with --bootstrap to judge it.";
    }
    s.push_back(line);
    if (cmax > 0) {
      const Recommendation r = recommend(in, *f, cmax * kMaxExtrapolation);
      if (r.identified) {
        s.push_back("For C = " + fmt("%.2g", r.C) +
                    " FLOPs (10x your largest run, an extrapolation) train N = " +
                    fmt("%.3g", r.N) + " parameters on D = " + fmt("%.3g", r.D) + " tokens (" +
                    fmt("%.1f", r.D / r.N) + " tokens per parameter).");
      } else {
        std::string why;
        for (const auto& w : r.why_not) why += (why.empty() ? "" : "; ") + w;
        s.push_back("No recommendation for C = " + fmt("%.2g", r.C) + " FLOPs: the " +
                    enum_name(law) + " fit is not identified (" + why +
                    "). More runs, budgets spanning more compute, or sizes on both sides of each "
                    "budget's minimum are needed before this data can say how to allocate "
                    "compute.");
      }
    }
    break;
  }
  if (!find_fit(fits, LawId::chinchilla_approach3) &&
      !find_fit(fits, LawId::chinchilla_approach2) && !find_fit(fits, LawId::chinchilla_approach1))
    s.push_back(
        "No compute-optimal allocation could be fitted, so this report cannot say how to split "
        "compute between N and D.");
  if (const FitResult* dc = find_fit(fits, LawId::data_constrained)) {
    const Estimate& r = dc->at("R_D_star");
    s.push_back("Repeated data: R_D* = " + fmt("%.3g", r.value) +
                (r.has_ci()
                     ? " (95% interval " + fmt("%.3g", r.lo) + " to " + fmt("%.3g", r.hi) + ")"
                     : std::string(" (no bootstrap: no interval)")) +
                ", Muennighoff et al. 15.4. " + explain_r_d_star(r.value));
  }
  for (const auto& f : fits)
    for (const auto& n : f.notes) s.push_back(enum_name(f.law) + ": " + n);
  for (const auto& n : in.notes) s.push_back(n);
  for (const auto& k : skipped) s.push_back("Not fitted: " + k);
  if (!in.unfinished.empty()) {
    std::string names;
    for (const auto& u : in.unfinished) names += (names.empty() ? "" : ", ") + u;
    s.push_back(std::to_string(in.unfinished.size()) +
                " run(s) have no summary.json and are left out: " + names + ".");
  }
  return s;
}

ReportContext read_report_context(const std::string& fits_path) {
  ReportContext ctx;
  ctx.fits_path = fits_path;
  std::ifstream f(fits_path);
  const nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(fits_path + ": not a JSON file");
  if (!j.contains("source") || !j["source"].contains("study")) return ctx;
  ctx.study = j["source"]["study"];
  if (!ctx.study.is_object()) return ctx.study = nullptr, ctx;
  const std::string state_path = ctx.study.value("study_state", "");
  std::ifstream sf(state_path);
  const nlohmann::json state = nlohmann::json::parse(sf, nullptr, false);
  if (!state_path.empty() && state.is_object()) {
    ctx.phase = state.value("phase", "");
    ctx.wave = state.value("wave", 0);
    ctx.live = ctx.phase != "fitted";
  }
  return ctx;
}

ReportFiles write_report(const FitInput& in, const std::vector<FitResult>& fits,
                         const std::vector<std::string>& skipped, const std::string& out_dir,
                         const ReportContext& ctx) {
  const std::string fig_dir = (fs::path(out_dir) / "figures").string();
  fs::create_directories(fig_dir);
  ReportFiles out;
  out.figures = render_figures(in, fits, fig_dir);
  std::vector<bool> placed(out.figures.size(), false);
  std::vector<Block> b;
  auto figure = [&](const std::string& name) {
    for (size_t i = 0; i < out.figures.size(); ++i)
      if (out.figures[i].name == name && !placed[i]) {
        placed[i] = true;
        const Figure& f = out.figures[i];
        b.push_back({Block::figure, {f.name, f.title, f.caption}, {}});
      }
  };
  for (auto& x : report::headline(in, fits, skipped, ctx, out_dir)) b.push_back(x);
  // Key figures: the IsoFLOP profiles, then the allocation of the identified fits only.
  b.push_back({Block::heading, {"## IsoFLOP profiles"}, {}});
  figure("isoflop_profiles");
  if (!find_fit(fits, LawId::chinchilla_approach2))
    b.push_back(
        {Block::paragraph, {"Approach 2 was not fitted: no IsoFLOP profiles to draw."}, {}});
  b.push_back({Block::heading, {"## Compute-optimal N and D"}, {}});
  figure("allocation");
  const auto refused = report::unidentified_allocations(fits);
  if (!refused.empty()) b.push_back({Block::bullets, refused, {}});
  b.push_back({Block::heading, {"## Per budget"}, {}});
  try {
    b.push_back(report::budget_table(in, fits, ctx));
  } catch (const std::exception& e) {
    b.push_back({Block::paragraph, {std::string("No per-budget table: ") + e.what()}, {}});
  }
  b.push_back({Block::heading, {"## Approaches side by side"}, {}});
  b.push_back(report::approaches_table(in, fits));
  b.push_back({Block::heading, {"## Findings and caveats"}, {}});
  b.push_back({Block::bullets, plain_summary(in, fits, skipped), {}});
  bool other = false;
  for (const char* name :
       {"isoloss", "kaplan_power_laws", "transfer", "deepnarrow", "data_constrained_epochs"})
    for (const auto& f : out.figures)
      if (f.name == name && !other) {
        b.push_back({Block::heading, {"## Other laws"}, {}});
        other = true;
      }
  for (const char* name :
       {"isoloss", "kaplan_power_laws", "transfer", "deepnarrow", "data_constrained_epochs"})
    figure(name);
  // Diagnostics last.
  b.push_back({Block::heading, {"## Diagnostics"}, {}});
  b.push_back({Block::heading, {"### Residuals and noise model"}, {}});
  for (auto& x : report::residuals_and_noise(fits)) b.push_back(x);
  figure("goodness_of_fit");
  b.push_back({Block::heading, {"### Loss curves"}, {}});
  figure("loss_vs_tokens");
  figure("loss_vs_flops");
  for (size_t i = 0; i < out.figures.size(); ++i)  // any figure not placed above
    if (!placed[i]) figure(out.figures[i].name);
  b.push_back({Block::heading, {"### Fits"}, {}});
  b.push_back(
      {Block::paragraph,
       {"Source: " + in.source + ". " + std::to_string(in.points.size()) + " points" +
        (in.runs.empty() ? "" : " from " + std::to_string(in.runs.size()) + " runs") +
        (in.from_csv ? ""
                     : std::string("; N counted ") +
                           (in.count == ParamCount::total ? "total" : "non-embedding") +
                           ", C under the " + enum_name(in.flop_convention) + " convention") +
        "."},
       {}});
  for (const auto& f : fits) {
    b.push_back({Block::heading, {"#### " + enum_name(f.law)}, {}});
    b.push_back({Block::paragraph,
                 {f.procedure.value("model", "") +
                  (f.procedure.contains("bootstrap")
                       ? " Intervals: 95% percentile bootstrap, " +
                             f.procedure["bootstrap"]["resamples"].dump() + " resamples."
                       : " No bootstrap intervals.")},
                 {}});
    Block t{Block::table, {}, {{"constant", "value", "95% interval"}}};
    for (const auto& p : f.params)
      t.rows.push_back({p.name, fmt("%.4g", p.value),
                        p.has_ci() ? fmt("%.4g", p.lo) + " to " + fmt("%.4g", p.hi) : "-"});
    b.push_back(t);
    if (!f.notes.empty()) b.push_back({Block::bullets, f.notes, {}});
  }
  if (!skipped.empty()) {
    b.push_back({Block::heading, {"### Not fitted"}, {}});
    b.push_back({Block::paragraph, {"Laws the data could not support, each with the reason:"}, {}});
    b.push_back({Block::bullets, skipped, {}});
  }
  b.push_back({Block::heading, {"### Runs"}, {}});
  Block runs{Block::table, {}, {{"run", "N", "D (tokens)", "C (FLOPs)", "loss", "budget"}}};
  for (const auto& p : in.points)
    runs.rows.push_back({p.name, fmt("%.3g", p.N), fmt("%.3g", p.D), fmt("%.3g", p.C),
                         fmt("%.4f", p.loss), p.budget > 0 ? fmt("%.3g", p.budget) : "-"});
  b.push_back(runs);
  if (!in.left_out.empty() || !in.unfinished.empty()) {
    b.push_back({Block::heading, {"### Left out"}, {}});
    b.push_back({Block::paragraph, {"Left out of the fits:"}, {}});
    std::vector<std::string> left = in.left_out;
    for (const auto& u : in.unfinished) left.push_back(u + " (no summary.json yet)");
    b.push_back({Block::bullets, left, {}});
  }
  out.markdown = (fs::path(out_dir) / "report.md").string();
  out.html = (fs::path(out_dir) / "report.html").string();
  std::ofstream(out.markdown) << report::to_markdown(b);
  std::ofstream(out.html) << report::to_html(b, fig_dir, ctx.live ? ctx.refresh_s : 0);
  return out;
}

}  // namespace scalelab
