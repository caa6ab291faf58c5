#include "cli/study_analysis.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <filesystem>
#include <stdexcept>

#include "analysis/fits/fit_laws.h"
#include "analysis/report/report.h"
#include "cli/fits_source.h"
#include "common/checked_io.h"
#include "core/counts.h"

#include "analysis/design/simulate_design.h"
#include "analysis/fits/budget_minima.h"
#include "analysis/inputs/seed_points.h"

namespace scalelab::cli {
namespace fs = std::filesystem;
namespace {

ParamCount study_count(const sweep::StudySpec& spec) {
  return spec.params_counted == "total" ? ParamCount::total : ParamCount::non_embedding;
}

// The design's finished runs, read under the sweep's FLOP convention, restricted to the design.
FitInput design_input(const sweep::StudyDesign& d) {
  RunReadOptions ro;
  ro.flop_convention = parse_enum<FlopConvention>(d.flop_convention, "flop convention");
  ro.allow_missing_summary = true;
  FitInput in = load_fit_input(d.out_root, {}, ro, study_count(d.spec));
  std::vector<std::string> names;
  for (const auto& r : d.runs) names.push_back(r.name);
  restrict_fit_input(in, names, "not part of the study's design");
  return in;
}

nlohmann::json study_record(const sweep::StudyDesign& d) {
  const sweep::StudySpec& s = d.spec;
  nlohmann::json laws = nlohmann::json::array();
  for (const auto& l : s.laws) laws.push_back(l.name);
  const nlohmann::json state = sweep::study_state_json(d.state);
  return {{"file", s.path},
          {"claim", s.claim},
          {"laws", laws},
          {"headline", {{"law", s.headline.name}, {"why", s.headline_why}}},
          {"bootstrap",
           {{"resamples", s.bootstrap},
            {"max_failed_share", s.max_failed_share},
            {"seed", s.bootstrap_seed}}},
          {"bracketing",
           {{"each_side", s.bracketing.each_side},
            {"max_added", s.bracketing.max_added},
            {"bracketed", state["bracketed"]},
            {"unbracketed", state["unbracketed"]}}},
          {"study_state", (fs::path(d.out_root) / "study_state.json").string()}};
}

}  // namespace

void check_study_laws(const sweep::StudySpec& spec) {
  for (const auto& l : spec.laws) {
    const auto law = find_enum<FitLaw>(l.name);
    if (!law || *law == FitLaw::all || *law == FitLaw::multipower) {
      std::string known;
      for (const auto& [v, name] : EnumNames<FitLaw>::values)
        if (v != FitLaw::all && v != FitLaw::multipower)
          known += (known.empty() ? "" : ", ") + std::string(name);
      throw std::runtime_error(l.where + ": study.laws: unknown law '" + l.name +
                               "' (a study fits named laws: " + known + ")");
    }
  }
}

std::optional<std::vector<sweep::BudgetStanding>> study_standings(const sweep::StudyDesign& d) {
  const FitInput in = design_input(d);
  std::vector<sweep::BudgetStanding> out;
  for (const BudgetMinimum& m : budget_minima(group_seeds(in.points))) {
    sweep::BudgetStanding s;
    s.budget = m.budget;
    s.sizes = m.sizes;
    s.means = m.means;
    s.seeds = m.seeds;
    s.i_min = m.i_min;
    s.below = m.below;
    s.above = m.above;
    out.push_back(s);
  }
  return out;
}

namespace {

// The design as the simulation takes it: the file's budgets and sizes, the ladder as next_size,
// D = C / (the run's FLOPs per token under the sweep's convention).
scalelab::StudyDesign simulated_design(const sweep::StudyDesign& d) {
  const sweep::StudySpec& s = d.spec;
  scalelab::StudyDesign out;
  std::map<double, ModelConfig> models;  // N -> its model, from the design and the ladder
  for (const auto& r : d.base_runs) {
    if (r.trunk()) continue;
    const double n = sweep::counted_params(r.config, s.params_counted);
    models[n] = r.config.model;
    auto b = std::find_if(out.budgets.begin(), out.budgets.end(),
                          [&](const DesignBudget& x) { return x.flops == r.budget; });
    if (b == out.budgets.end()) b = out.budgets.insert(out.budgets.end(), {r.budget, {}});
    if (std::find(b->sizes.begin(), b->sizes.end(), n) == b->sizes.end()) b->sizes.push_back(n);
  }
  for (auto& b : out.budgets) std::sort(b.sizes.begin(), b.sizes.end());
  std::sort(out.budgets.begin(), out.budgets.end(),
            [](const DesignBudget& x, const DesignBudget& y) { return x.flops < y.flops; });
  out.seeds = s.sweep.groups.front().seeds;
  out.branched = s.sweep.branching.has_value();
  out.min_each_side = s.bracketing.each_side;
  out.max_added = s.bracketing.enabled ? s.bracketing.max_added : 0;
  const Config reference = d.base_runs.front().config;
  if (d.ladder) {
    for (const auto& rung : d.ladder->rungs()) {
      std::vector<std::string> sets;
      for (const auto& [k, v] : rung.shape) sets.push_back(k + "=" + v);
      models[rung.params] = parse_config(to_yaml(reference), "the ladder", sets).model;
    }
    const sweep::Ladder* ladder = &*d.ladder;
    out.next_size = [ladder](double, const std::vector<double>& sizes,
                             LadderSide side) -> std::optional<double> {
      const bool below = side == LadderSide::below;
      const sweep::Rung* r = ladder->next(below ? sizes.front() : sizes.back(),
                                          below ? sweep::Side::below : sweep::Side::above);
      return r ? std::optional<double>(r->params) : std::nullopt;
    };
  }
  const FlopConvention conv = parse_enum<FlopConvention>(d.flop_convention, "flop convention");
  out.tokens = [models, conv](double N, double C) {
    const auto it = models.find(N);
    return it == models.end() ? C / (6 * N) : C / training_flops_per_token(it->second, conv);
  };
  return out;
}

std::string approach_line(const std::string& name, const ApproachSummary& a, int repeats) {
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "  %s: a = %.3f +- %.3f (sd over repeats; 95%% of them in %.3f to %.3f), fitted "
                "in %d of %d, identified in %d; its 95%% intervals hold the prior's a in %.0f%% "
                "(mean width %.3f)\n",
                name.c_str(), a.mean_a, a.sd_a, a.lo_a, a.hi_a, a.fitted, repeats, a.identified,
                100 * a.coverage, a.mean_width);
  return buf;
}

}  // namespace

std::string study_power_text(const sweep::StudyDesign& d) {
  const sweep::PowerSpec& p = d.spec.power;
  if (p.prior.empty())
    return "power analysis: none (the study gives no study.power.prior law to simulate from)\n";
  const ChinchillaLaw law{p.prior.at("E"), p.prior.at("A"), p.prior.at("B"), p.prior.at("alpha"),
                          p.prior.at("beta")};
  const NoiseModel noise{p.sd_coef, p.sd_exponent, p.trunk_correlation};
  SimulationProcedure proc;
  proc.repeats = p.repeats;
  proc.bootstrap = d.spec.bootstrap;
  proc.max_failed_share = d.spec.max_failed_share;
  proc.seed = p.seed;
  auto fitted = [&](const char* name) {
    return std::any_of(d.spec.laws.begin(), d.spec.laws.end(),
                       [&](const sweep::NamedEntry& l) { return l.name == name; });
  };
  proc.approach2 = fitted("approach2");
  proc.approach3 = fitted("chinchilla");
  if (!proc.approach2 && !proc.approach3)
    return "power analysis: none (it simulates approaches 2 and 3; the study fits neither)\n";
  std::fprintf(stderr, "[study] power analysis: %d simulated repeats of the study...\n", p.repeats);
  const SimulationResult r =
      simulate_design(simulated_design(d), PriorLaw::chinchilla(law), noise, proc);
  char head[400];
  std::snprintf(
      head, sizeof head,
      "power analysis (%d repeats from the prior law, a = %.3f, noise sd = %.3g (D/N)^%.2f, "
      "trunk correlation %.2f; %d bootstrap resamples per fit; %.0f s):\n",
      r.repeats, r.true_a, p.sd_coef, p.sd_exponent, p.trunk_correlation, proc.bootstrap,
      r.seconds);
  std::string t = head;
  if (proc.approach2) t += approach_line("approach 2", r.approach2, r.repeats);
  if (proc.approach3) t += approach_line("approach 3", r.approach3, r.repeats);
  char tail[300];
  std::snprintf(tail, sizeof tail,
                "  budgets bracketed: %.0f%%; runs: %.1f on average (%.1f added by bracketing), "
                "%.3g FLOPs\n",
                100 * r.bracketed_share, r.mean_runs, r.mean_added_runs, r.mean_flops);
  return t + tail;
}

StudyFit fit_and_report_study(const sweep::StudyDesign& d, bool provisional) {
  FitInput in = design_input(d);
  FitOptions fo{d.spec.bootstrap, d.spec.bootstrap_seed, 0, ""};
  fo.max_failed_share = d.spec.max_failed_share;
  fo.min_each_side = d.spec.bracketing.each_side;  // unbracketed budgets stay out of approach 2
  std::vector<std::string> skipped;
  std::vector<FitResult> fits;
  // The headline's law first: the report opens with it.
  std::vector<sweep::NamedEntry> order = d.spec.laws;
  std::stable_partition(order.begin(), order.end(),
                        [&](const sweep::NamedEntry& l) { return l.name == d.spec.headline.name; });
  for (const auto& l : order) {
    try {
      auto f = fit_laws(in, parse_enum<FitLaw>(l.name, "study.laws"), fo, skipped);
      fits.insert(fits.end(), f.begin(), f.end());
    } catch (const std::exception& e) {
      skipped.push_back(l.name + ": " + e.what());
    }
  }
  if (fits.empty()) {
    std::string why;
    for (const auto& s : skipped) why += (why.empty() ? "" : "; ") + s;
    throw std::runtime_error("no law of the study could be fitted to its runs (" + why +
                             "); the runs and study_state.json are kept");
  }
  StudyFit out;
  out.fits_path = (fs::path(d.out_root) / "fits.json").string();
  nlohmann::json source = fits_source(in, skipped);
  source["study"] = study_record(d);
  write_fits_json(out.fits_path, fits, source);
  // The report reads the fits.json just written: one fit, whatever reads it. While the study
  // runs, the page says so and reloads itself; the final report (after bracketing) does not.
  ReportContext ctx = read_report_context(out.fits_path);
  ctx.live = provisional;
  ctx.phase = d.state.phase;
  ctx.wave = d.state.wave;
  const ReportFiles r = write_report(in, read_fits_json(out.fits_path), skipped,
                                     (fs::path(d.out_root) / "report").string(), ctx);
  out.report_markdown = r.markdown;
  out.report_html = r.html;
  out.summary = format_fits(fits);
  for (const auto& s : skipped) out.summary += "not fitted: " + s + "\n";
  return out;
}

std::string refresh_live_report(const sweep::StudyDesign& d) {
  try {
    return "report (provisional, reloads itself): " + fit_and_report_study(d, true).report_html;
  } catch (const std::exception& e) {
    return std::string("no provisional report yet: ") + e.what();
  }
}

}  // namespace scalelab::cli
