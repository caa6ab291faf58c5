#include "analysis/report/sections.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "analysis/fits/budget_minima.h"
#include "analysis/fits/fitted_laws.h"
#include "analysis/fits/identify.h"
#include "analysis/inputs/seed_points.h"

namespace fs = std::filesystem;

namespace scalelab::report {
namespace {

constexpr LawId kAllocationLaws[] = {LawId::chinchilla_approach3, LawId::chinchilla_approach2,
                                     LawId::chinchilla_approach1};

std::string law_words(LawId law) {
  switch (law) {
    case LawId::chinchilla_approach3:
      return "approach 3 (L = E + A/N^alpha + B/D^beta fitted to every point)";
    case LawId::chinchilla_approach2:
      return "approach 2 (each budget's IsoFLOP parabola, N_opt = k_N C^a through the minima)";
    case LawId::chinchilla_approach1:
      return "approach 1 (the compute frontier)";
    default:
      return enum_name(law);
  }
}

std::string interval(const Estimate& e, const char* f = "%.3f") {
  return fmt(f, e.lo) + " to " + fmt(f, e.hi);
}

// Hoffmann et al. 2022 (0.50, the Besiroglu et al. 2024 refit 0.51) and Kaplan et al. 2020 (0.73).
std::string against_literature(const Estimate& a) {
  const bool chin = a.lo <= 0.5 && 0.5 <= a.hi, kap = a.lo <= 0.73 && 0.73 <= a.hi;
  const std::string refs = " (Chinchilla a = 0.50, Kaplan a = 0.73)";
  return chin && kap ? "The interval holds both Chinchilla and Kaplan" + refs +
                           ": it cannot tell them apart."
         : chin ? "Consistent with Chinchilla, not with Kaplan" + refs + "."
         : kap  ? "Consistent with Kaplan, not with Chinchilla" + refs + "."
                : "The interval excludes both Chinchilla and Kaplan" + refs + ".";
}

std::string bootstrap_words(const FitResult& f) {
  if (!f.procedure.contains("bootstrap")) return "";
  const auto& b = f.procedure["bootstrap"];
  const std::string unit = b.value("unit", "");
  const std::string count = b["resamples"].dump() + " resamples, seed " + b["seed"].dump();
  if (unit.rfind("hierarchical", 0) == 0)
    return " The interval includes seed noise: a hierarchical bootstrap (a shared effect per "
           "trunk, one per run, and lack of fit per point; " +
           count + ").";
  return " The interval is a bootstrap over " + (unit.empty() ? "points" : unit) + " (" + count +
         "); seeds were not grouped, so it carries seed noise only as scatter between points.";
}

std::string out_root_of(const ReportContext& ctx) {
  if (!ctx.study.is_object()) return "";
  const std::string state = ctx.study.value("study_state", "");
  return state.empty() ? "" : fs::path(state).parent_path().string();
}

const Estimate* find_param(const FitResult& f, const std::string& name) {
  for (const auto& p : f.params)
    if (p.name == name) return &p;
  return nullptr;
}

double n_opt(const FitResult& f, double C) {
  return f.law == LawId::chinchilla_approach3 ? chinchilla_from_fit(f).optimal_params(C)
                                              : f.value("k_N") * std::pow(C, f.value("a"));
}

}  // namespace

const FitResult* headline_fit(const std::vector<FitResult>& fits, const ReportContext& ctx) {
  if (ctx.study.is_object() && ctx.study.contains("headline")) {
    const std::string name = ctx.study["headline"].value("law", "");
    const LawId law = name == "chinchilla"  ? LawId::chinchilla_approach3
                      : name == "approach2" ? LawId::chinchilla_approach2
                      : name == "approach1" ? LawId::chinchilla_approach1
                                            : LawId::kaplan_nd;
    if (const FitResult* f = find_fit(fits, law)) return f;
  }
  for (LawId law : kAllocationLaws)
    if (const FitResult* f = find_fit(fits, law)) return f;
  return nullptr;
}

std::vector<Block> headline(const FitInput& in, const std::vector<FitResult>& fits,
                            const std::vector<std::string>& skipped, const ReportContext& ctx,
                            const std::string& out_dir) {
  std::vector<Block> b;
  const bool study = ctx.study.is_object();
  b.push_back({Block::heading,
               {"# " + (study ? ctx.study.value("claim", "Scaling study")
                              : std::string("Scaling-law report"))},
               {}});
  if (ctx.live)
    b.push_back({Block::paragraph,
                 {"Provisional: the study is still running (phase " + ctx.phase + ", wave " +
                  std::to_string(ctx.wave) +
                  "). This page is rewritten after each wave and reloads itself every " +
                  std::to_string(ctx.refresh_s) + " s; its numbers change until the study ends."},
                 {}});
  const FitResult* h = headline_fit(fits, ctx);
  std::string line = "Headline: ";
  if (!h) {
    line += "no compute-optimal allocation was fitted";
    for (const auto& s : skipped) line += "; " + s;
    line += ".";
  } else {
    const FitResult f = judged(*h);
    const Estimate& a = f.at("a");
    if (f.identified && a.has_ci()) {
      line += "a = " + fmt("%.3f", a.value) + " (95% interval " + interval(a) +
              "), N_opt proportional to C^a, from " + law_words(f.law) + "." + bootstrap_words(f) +
              " " + against_literature(a);
    } else {
      std::string why;
      for (const auto& r : f.not_identified) why += (why.empty() ? "" : "; ") + r;
      line += "a from " + law_words(f.law) + ": not identified: " + why +
              ". No estimate is quoted and no line is drawn.";
    }
  }
  b.push_back({Block::paragraph, {line}, {}});
  if (study && ctx.study.contains("headline"))
    b.push_back({Block::paragraph,
                 {"Why this law heads the report: " +
                  ctx.study["headline"].value("why", std::string("(not stated)")) +
                  ". Study file: " + ctx.study.value("file", "") + "."},
                 {}});
  std::string regen;
  const std::string root = out_root_of(ctx);
  if (study && !root.empty())
    regen = "scalelab study " + ctx.study.value("file", "STUDY.yaml") + " --out-root " + root +
            "\n  # trains only what is missing, refits " + root +
            "/fits.json, rewrites this report\nscalelab report " + root + " --out " + out_dir +
            "\n  # this report alone, from " + root + "/fits.json";
  else
    regen = "scalelab report " + in.source + " --out " + out_dir +
            (ctx.fits_path.empty() ? "" : " --fits " + ctx.fits_path);
  b.push_back({Block::paragraph, {"Regenerate:"}, {}});
  b.push_back({Block::code, {regen}, {}});
  return b;
}

std::vector<std::string> unidentified_allocations(const std::vector<FitResult>& fits) {
  std::vector<std::string> out;
  for (LawId law : kAllocationLaws)
    if (const FitResult* f = find_fit(fits, law)) {
      const FitResult j = judged(*f);
      if (j.identified) continue;
      std::string why;
      for (const auto& r : j.not_identified) why += (why.empty() ? "" : "; ") + r;
      out.push_back(enum_name(law) + ": not identified: " + why + " (not drawn)");
    }
  return out;
}

Block budget_table(const FitInput& in, const std::vector<FitResult>& fits,
                   const ReportContext& ctx) {
  int each_side = 1;
  if (ctx.study.is_object() && ctx.study.contains("bracketing"))
    each_side = ctx.study["bracketing"].value("each_side", 1);
  Block t{Block::table,
          {},
          {{"budget C (FLOPs)", "sizes (N)", "seeds per point",
            "bracketed (" + std::to_string(each_side) + " each side)", "lowest seed mean (at N)",
            "approach 2 minimum N_opt", "L_min"}}};
  const FitResult* a2 = find_fit(fits, LawId::chinchilla_approach2);
  for (const BudgetMinimum& m : budget_minima(group_seeds(in.points))) {
    const auto [lo_seeds, hi_seeds] = std::minmax_element(m.seeds.begin(), m.seeds.end());
    std::string seeds = std::to_string(*lo_seeds);
    if (*hi_seeds != *lo_seeds) seeds += " to " + std::to_string(*hi_seeds);
    const std::string sides =
        std::to_string(m.below) + " below, " + std::to_string(m.above) + " above";
    std::string n_opt_text = "-", l_min = "-";
    if (a2)
      for (const auto& b : a2->data.value("budgets", nlohmann::json::array()))
        if (std::abs(b["budget"].get<double>() - m.budget) <= 1e-6 * m.budget) {
          if (b.value("used", false)) {
            n_opt_text = fmt("%.3g", b["N_opt"].get<double>());
            l_min = fmt("%.4f", b["loss_opt"].get<double>());
          } else {
            n_opt_text = "refused";
          }
        }
    t.rows.push_back({budget_name(m.budget),
                      std::to_string(m.sizes.size()) + ": " + fmt("%.3g", m.sizes.front()) +
                          " to " + fmt("%.3g", m.sizes.back()),
                      seeds, (m.bracketed(each_side) ? "yes (" : "no (") + sides + ")",
                      fmt("%.4f", m.means[m.i_min]) + " (" + fmt("%.3g", m.sizes[m.i_min]) + ")",
                      n_opt_text, l_min});
  }
  return t;
}

Block approaches_table(const FitInput& in, const std::vector<FitResult>& fits) {
  double c_max = 0;
  for (const auto& p : in.points) c_max = std::max(c_max, p.budget > 0 ? p.budget : p.C);
  std::vector<const FitResult*> present;
  std::vector<std::string> header = {""};
  for (LawId law :
       {LawId::chinchilla_approach1, LawId::chinchilla_approach2, LawId::chinchilla_approach3})
    if (const FitResult* f = find_fit(fits, law))
      present.push_back(f), header.push_back(enum_name(law));
  Block t{Block::table, {}, {header}};
  auto row = [&](const std::string& name, auto cell) {
    std::vector<std::string> r = {name};
    for (const FitResult* f : present) r.push_back(cell(judged(*f)));
    t.rows.push_back(r);
  };
  auto exponent = [](const char* name) {
    return [name](const FitResult& f) -> std::string {
      const Estimate* e = find_param(f, name);
      if (!e) return "-";
      if (!f.identified) return "not identified";
      return fmt("%.3f", e->value) + (e->has_ci() ? " (" + interval(*e) + ")" : "");
    };
  };
  row("a: N_opt ~ C^a (95%)", exponent("a"));
  row("b: D_opt ~ C^b (95%)", exponent("b"));
  if (c_max > 0) {
    row("N_opt at C = " + fmt("%.3g", c_max), [&](const FitResult& f) -> std::string {
      return f.identified ? fmt("%.3g", n_opt(f, c_max)) : "not identified";
    });
    row("D_opt = C / (6 N_opt)", [&](const FitResult& f) -> std::string {
      return f.identified ? fmt("%.3g", c_max / (6 * n_opt(f, c_max))) : "not identified";
    });
  }
  row("identified", [](const FitResult& f) -> std::string { return f.identified ? "yes" : "no"; });
  return t;
}

std::vector<Block> residuals_and_noise(const std::vector<FitResult>& fits) {
  std::vector<Block> out;
  if (const FitResult* a2 = find_fit(fits, LawId::chinchilla_approach2)) {
    Block t{Block::table,
            {},
            {{"budget", "N", "loss (seed mean)", "parabola", "residual", "residual / se"}}};
    for (const auto& b : a2->data.value("budgets", nlohmann::json::array())) {
      if (!b.value("used", false)) continue;
      const auto N = b["N"].get<std::vector<double>>(), L = b["loss"].get<std::vector<double>>();
      const double xm = b["x_mean"], c0 = b["c"][0], c1 = b["c"][1], c2 = b["c"][2];
      for (size_t i = 0; i < N.size(); ++i) {
        const double x = std::log(N[i]) - xm, fit = c0 + c1 * x + c2 * x * x, r = L[i] - fit;
        const bool has_se = b.contains("se") && b["se"][i].is_number();
        t.rows.push_back({budget_name(b["budget"]), fmt("%.3g", N[i]), fmt("%.4f", L[i]),
                          fmt("%.4f", fit), fmt("%+.4f", r),
                          has_se ? fmt("%+.2f", r / b["se"][i].get<double>()) : "-"});
      }
    }
    out.push_back(
        {Block::paragraph, {"Approach 2: each point against its budget's parabola."}, {}});
    out.push_back(t);
    const auto& bs = a2->procedure.value("bootstrap", nlohmann::json::object());
    if (bs.contains("lack_of_fit_ratio") && bs["lack_of_fit_ratio"].is_number())
      out.push_back({Block::paragraph,
                     {"Lack of fit: the means scatter about the parabolas " +
                      fmt("%.2f", bs["lack_of_fit_ratio"].get<double>()) +
                      " times the seed noise's variance (95% limit " +
                      (bs["lack_of_fit_limit"].is_number()
                           ? fmt("%.2f", bs["lack_of_fit_limit"].get<double>())
                           : std::string("-")) +
                      (bs.value("point_level_added", false)
                           ? "; above it, so the bootstrap adds a point-level effect)."
                           : "; within it).")},
                     {}});
  }
  for (LawId law : {LawId::chinchilla_approach2, LawId::chinchilla_approach3})
    if (const FitResult* f = find_fit(fits, law))
      if (f->procedure.contains("noise")) {
        const auto& n = f->procedure["noise"];
        out.push_back(
            {Block::paragraph,
             {"Noise model (" + enum_name(law) +
              "): one run's sd = " + fmt("%.3g", n.value("sd_coef", NAN)) + " (D/N)^" +
              fmt("%.3f", n.value("sd_exponent", NAN)) +
              (n.value("exponent_fitted", false) ? " (exponent fitted)" : " (pooled variance)") +
              ", branches of one trunk correlate " +
              fmt("%.2f", n.value("trunk_correlation", NAN)) + "; from " +
              n.value("points_with_seeds", nlohmann::json(0)).dump() + " points with seeds (" +
              n.value("dof", nlohmann::json(0)).dump() + " degrees of freedom). " +
              n.value("rule", std::string())},
             {}});
        break;
      }
  return out;
}

}  // namespace scalelab::report
