// Where a plan comes from (cmd_plan.h): published laws with the data they were measured on, the
// fit a fits.json offers, and the 20-to-1 rule beside the fitted laws' optima.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "analysis/fits/fitted_laws.h"
#include "analysis/fits/identify.h"
#include "analysis/report/report.h"
#include "cli/cmd_plan.h"
#include "common/text.h"

namespace scalelab::cli {
namespace {

std::string g3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// The order a fits.json's fits are tried in: approach 3 models the whole L(N, D) (so it also gives
// the loss); approach 2 the minima of each budget's IsoFLOP parabola; approach 1 the envelope of
// the training curves; then Kaplan's L(N, D) and a data-constrained fit's fresh-data base.
constexpr LawId kPreference[] = {LawId::chinchilla_approach3, LawId::chinchilla_approach2,
                                 LawId::chinchilla_approach1, LawId::kaplan_nd,
                                 LawId::data_constrained};

std::string joined(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : sep) + p;
  return s;
}

}  // namespace

std::vector<std::string> reasons_not_to_plan(const FitResult& f, double C) {
  const bool allocation = f.law == LawId::chinchilla_approach1 ||
                          f.law == LawId::chinchilla_approach2 ||
                          f.law == LawId::chinchilla_approach3;
  return allocation ? recommend(FitInput{}, f, C).why_not : judged(f).not_identified;
}

namespace {

PlanSource from_fits_json(const std::string& path, double C) {
  const std::vector<FitResult> fits = read_fits_json(path);
  std::vector<std::string> passed_over;
  for (LawId id : kPreference) {
    const FitResult* f = find_fit(fits, id);
    if (!f) continue;
    const auto why_not = reasons_not_to_plan(*f, C);
    if (!why_not.empty()) {
      passed_over.push_back(enum_name(id) + ": " + joined(why_not, "; "));
      continue;
    }
    PlanSource s;
    s.name = path;
    s.used = enum_name(id);
    if (id == LawId::chinchilla_approach1 || id == LawId::chinchilla_approach2)
      s.allocation = *f;
    else
      s.law = law_from_fit(*f, path);
    s.why = s.used +
            ", the first identified fit in the order approach 3 (a whole L(N, D), so "
            "also the loss), approach 2 (IsoFLOP minima), approach 1 (frontier), "
            "kaplan_nd, data_constrained";
    if (!s.law) s.why += "; it models the optimum only, so no loss";
    if (!passed_over.empty())
      s.why += "; passed over, not identified: " + joined(passed_over, "; ");
    return s;
  }
  if (passed_over.empty())
    throw std::runtime_error(path +
                             ": holds no fit to plan from (chinchilla_approach3, _approach2, "
                             "_approach1, kaplan_nd or data_constrained); run `scalelab fit` "
                             "first");
  throw std::runtime_error("--law " + path + ": no plan from this fit, it is not identified (" +
                           joined(passed_over, " | ") +
                           "); refit with more runs or --bootstrap, as `scalelab report` advises");
}

}  // namespace

std::string published_data(const std::string& name) {
  if (name == "chinchilla")
    return "Hoffmann et al. 2022, approach 3, fitted to their runs on MassiveText (70M to 16B "
           "parameters, 5B to 500B tokens)";
  if (name == "epoch")
    return "Besiroglu et al. 2024, Hoffmann et al.'s approach 3 refitted to their published runs "
           "(MassiveText)";
  if (name == "kaplan")
    return "Kaplan et al. 2020, eq. 1.5, fitted to runs on WebText2 (N without embeddings)";
  if (name == "data-constrained")
    return "Muennighoff et al. 2023, fitted to runs on C4 with repeated data";
  return "";
}

PlanSource plan_source(const std::string& name, double C) {
  if (find_enum<PublishedLaw>(name) || name == "data-constrained") {
    PlanSource s;
    s.name = name;
    s.measured_on = published_data(name);
    if (name != "data-constrained") s.law = law_by_name(name);
    return s;
  }
  if (!std::ifstream(name))
    throw std::runtime_error("--law " + name +
                             ": no such file or law (expected kaplan, "
                             "chinchilla, epoch or a fits.json file)");
  return from_fits_json(name, C);
}

ComputePlan plan_from(const PlanSource& s, double C) {
  if (s.law) return plan_compute(*s.law, C);
  const FitResult& f = *s.allocation;
  const double N = f.value("k_N") * std::pow(C, f.value("a")), D = C / (6 * N);
  return {C, N, D, D / N, NAN};
}

void print_sources(const std::vector<PlanSource>& sources) {
  bool published = false;
  for (const auto& s : sources) {
    if (!s.measured_on.empty()) {
      if (!published)
        std::printf(
            "published laws, measured on other data (their losses are theirs, not your "
            "data's; their N and D are what transfers):\n");
      published = true;
      std::printf("  %s: %s\n", s.name.c_str(), s.measured_on.c_str());
    }
    if (!s.used.empty()) std::printf("%s: planned from %s\n", s.name.c_str(), s.why.c_str());
  }
}

ComputePlan twenty_tokens_per_param(double C) {
  const double N = std::sqrt(C / 120.0), D = 20.0 * N;
  return {C, N, D, 20.0, NAN};
}

std::string why_optima_differ(double C) {
  const ChinchillaLaw h = ChinchillaLaw::chinchilla(), e = ChinchillaLaw::epoch();
  auto a = [](const ChinchillaLaw& l) { return l.beta / (l.alpha + l.beta); };
  auto ratio = [&](const ChinchillaLaw& l) {
    const double N = l.optimal_params(C);
    return C / (6 * N) / N;
  };
  return "why they differ: N_opt grows as C^a. Hoffmann et al. 2022's approaches 1 and 2 found "
         "a = 0.50 and 0.49 (their Table 2), about 20 tokens per parameter at every budget (their "
         "Table 3; Chinchilla: 70B on 1.4T), hence the rule; their approach-3 constants give a = "
         "beta / (alpha + beta) = " +
         g3(a(h)) + ", so tokens per parameter grow with C (" + ratio_text(ratio(h)) +
         " here). Besiroglu et al. 2024 refitted approach 3 to the same runs (the published fit "
         "does not match them) and got a = " +
         g3(a(e)) + " (" + ratio_text(ratio(e)) +
         " tokens per parameter here), close to "
         "approaches 1 and 2.";
}

std::string count_text(double v) {
  return std::abs(v) < 1e15 ? human(v) : g3(v);
}

std::string ratio_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::abs(v) < 1e6 && std::abs(v) >= 0.01 ? "%.2f" : "%.3g", v);
  return buf;
}

}  // namespace scalelab::cli
