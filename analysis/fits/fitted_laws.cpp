#include "analysis/fits/fitted_laws.h"

#include "analysis/fits/identify.h"

#include <fstream>
#include <stdexcept>

namespace scalelab {

ChinchillaLaw chinchilla_from_fit(const FitResult& f) {
  return {f.value("E"), f.value("A"), f.value("B"), f.value("alpha"), f.value("beta")};
}

KaplanLaw kaplan_from_fit(const FitResult& f) {
  return {f.value("Nc"), f.value("alpha_N"), f.value("Dc"), f.value("alpha_D")};
}

DataConstrainedLaw data_constrained_from_fit(const FitResult& f) {
  DataConstrainedLaw law;
  law.base = chinchilla_from_fit(f);
  law.R_D_star = f.value("R_D_star");
  law.R_N_star = f.value("R_N_star");
  return law;
}

MultiPowerLaw multipower_from_fit(const FitResult& fit) {
  std::array<double, MultiPowerLaw::kParams> v{};
  for (int i = 0; i < MultiPowerLaw::kParams; ++i) v[i] = fit.value(MultiPowerLaw::names[i]);
  return MultiPowerLaw::from_values(v);
}

const FitResult* law_fit(const std::vector<FitResult>& fits) {
  for (LawId id : {LawId::chinchilla_approach3, LawId::kaplan_nd, LawId::data_constrained})
    if (const FitResult* f = find_fit(fits, id)) return f;
  return nullptr;
}

void require_identified_law(const std::string& name, const std::string& use, const LawId* law) {
  if (find_enum<PublishedLaw>(name) || name == "data-constrained" || !std::ifstream(name)) return;
  const std::vector<FitResult> fits = read_fits_json(name);
  const FitResult* f = law ? find_fit(fits, *law) : law_fit(fits);
  if (!f) return;
  const FitResult g = judged(*f);
  if (g.identified) return;
  std::string why;
  for (const auto& w : g.not_identified) why += (why.empty() ? "" : "; ") + w;
  throw std::runtime_error("--law " + name + ": no " + use +
                           " from this fit, it is not identified (" + enum_name(g.law) + ": " +
                           why +
                           "); refit with more runs or --bootstrap, as `scalelab report` advises");
}

Law law_from_fit(const FitResult& f, const std::string& name) {
  Law law;
  law.name = name;
  if (f.law == LawId::kaplan_nd) {
    law.kind = Law::Kind::kaplan;
    law.kaplan = kaplan_from_fit(f);
  } else if (f.law == LawId::chinchilla_approach3 || f.law == LawId::data_constrained) {
    // A data_constrained fit's E, A, B, alpha, beta: the same law when every token is fresh.
    law.chinchilla = chinchilla_from_fit(f);
  } else {
    throw std::runtime_error(name + ": " + enum_name(f.law) + " is not an L(N, D) law");
  }
  return law;
}

Law law_by_name(const std::string& name) {
  Law law;
  law.name = name;
  if (auto published = find_enum<PublishedLaw>(name)) {
    law.kind = *published == PublishedLaw::kaplan ? Law::Kind::kaplan : Law::Kind::chinchilla;
    if (*published == PublishedLaw::epoch) law.chinchilla = ChinchillaLaw::epoch();
    return law;
  }
  if (!std::ifstream(name))
    throw std::runtime_error("--law " + name +
                             ": no such file or law (expected kaplan, "
                             "chinchilla, epoch or a fits.json file)");
  // fits.json from `scalelab fit --law chinchilla` (approach 3) or `--law kaplan` (L(N, D)).
  const std::vector<FitResult> fits = read_fits_json(name);
  if (const FitResult* f = find_fit(fits, LawId::chinchilla_approach3)) {
    law.chinchilla = chinchilla_from_fit(*f);
  } else if (const FitResult* f = find_fit(fits, LawId::kaplan_nd)) {
    law.kind = Law::Kind::kaplan;
    law.kaplan = kaplan_from_fit(*f);
  } else if (const FitResult* f = find_fit(fits, LawId::data_constrained)) {
    // Its E, A, B, alpha, beta: the same law when every token is fresh (up to N_opt(D)).
    law.chinchilla = chinchilla_from_fit(*f);
  } else {
    throw std::runtime_error(name +
                             ": holds no L(N, D) fit (laws.chinchilla_approach3, "
                             "laws.kaplan_nd or laws.data_constrained); run `scalelab fit "
                             "--law chinchilla` first");
  }
  return law;
}

DataConstrainedLaw data_constrained_law_by_name(const std::string& name) {
  if (name == "data-constrained") return DataConstrainedLaw::muennighoff();
  if (!std::ifstream(name))
    throw std::runtime_error("--law " + name +
                             ": expected data-constrained or a fits.json with a data_constrained "
                             "fit (chinchilla, epoch and kaplan assume fresh data)");
  const auto fits = read_fits_json(name);
  const FitResult* f = find_fit(fits, LawId::data_constrained);
  if (!f)
    throw std::runtime_error(name +
                             ": holds no data_constrained fit; run `scalelab fit --law "
                             "data-constrained` on runs or a CSV with unique-token counts first");
  return data_constrained_from_fit(*f);
}

bool names_data_constrained_law(const std::string& name) {
  if (name == "data-constrained") return true;
  if (find_enum<PublishedLaw>(name) || !std::ifstream(name)) return false;
  const auto fits = read_fits_json(name);
  return find_fit(fits, LawId::data_constrained) != nullptr;
}

ChinchillaLaw fresh_law_from_fits(const std::string& path) {
  if (!std::ifstream(path)) throw std::runtime_error("--fresh-fit " + path + ": no such file");
  const auto fits = read_fits_json(path);
  if (const FitResult* f = find_fit(fits, LawId::chinchilla_approach3))
    return chinchilla_from_fit(*f);
  if (const FitResult* f = find_fit(fits, LawId::data_constrained)) return chinchilla_from_fit(*f);
  throw std::runtime_error("--fresh-fit " + path +
                           ": holds no chinchilla_approach3 fit (run `scalelab fit --law "
                           "chinchilla` on fresh-data runs first)");
}

}  // namespace scalelab
