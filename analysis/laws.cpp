#include "analysis/laws.h"

#include "analysis/fit_result.h"
#include "analysis/optimize.h"

#include <cmath>
#include <fstream>
#include <stdexcept>

namespace scalelab {

double KaplanLaw::loss(double N, double D) const {
  return std::pow(std::pow(Nc / N, alpha_N / alpha_D) + Dc / D, alpha_D);
}
double KaplanLaw::loss_n(double N) const {
  return std::pow(Nc / N, alpha_N);
}
double KaplanLaw::loss_d(double D) const {
  return std::pow(Dc / D, alpha_D);
}

double ChinchillaLaw::loss(double N, double D) const {
  return E + A / std::pow(N, alpha) + B / std::pow(D, beta);
}

double ChinchillaLaw::optimal_params(double C) const {
  const double G = std::pow(alpha * A / (beta * B), 1.0 / (alpha + beta));
  return G * std::pow(C / 6.0, beta / (alpha + beta));
}

double Law::loss(double N, double D) const {
  return kind == Kind::kaplan ? kaplan.loss(N, D) : chinchilla.loss(N, D);
}

Law law_by_name(const std::string& name) {
  Law law;
  law.name = name;
  if (auto published = find_enum<PublishedLaw>(name)) {
    law.kind = *published == PublishedLaw::kaplan ? Law::Kind::kaplan : Law::Kind::chinchilla;
    if (*published == PublishedLaw::epoch) law.chinchilla = ChinchillaLaw::epoch();
  } else {
    if (!std::ifstream(name))
      throw std::runtime_error("--law " + name +
                               ": expected kaplan, chinchilla, epoch or a fits.json file");
    // fits.json from `scalelab fit --law chinchilla` (approach 3) or `--law kaplan` (L(N, D)).
    const std::vector<FitResult> fits = read_fits_json(name);
    auto find = [&](const char* law_name) -> const FitResult* {
      for (const auto& f : fits)
        if (f.law == law_name) return &f;
      return nullptr;
    };
    if (const FitResult* f = find("chinchilla_approach3")) {
      law.chinchilla = {f->value("E"), f->value("A"), f->value("B"), f->value("alpha"),
                        f->value("beta")};
    } else if (const FitResult* f = find("kaplan_nd")) {
      law.kind = Law::Kind::kaplan;
      law.kaplan = {f->value("Nc"), f->value("alpha_N"), f->value("Dc"), f->value("alpha_D")};
    } else if (const FitResult* f = find("data_constrained")) {
      // Its E, A, B, alpha, beta: the same law when every token is fresh (up to N_opt(D)).
      law.chinchilla = {f->value("E"), f->value("A"), f->value("B"), f->value("alpha"),
                        f->value("beta")};
    } else {
      throw std::runtime_error(name +
                               ": holds no L(N, D) fit (laws.chinchilla_approach3, "
                               "laws.kaplan_nd or laws.data_constrained); run `scalelab fit "
                               "--law chinchilla` first");
    }
  }
  return law;
}

double kaplan_min_tokens(double N) {
  return 5e3 * std::pow(N, 0.74);
}

ComputePlan plan_compute(const Law& law, double C) {
  if (!(C > 0) || !std::isfinite(C)) throw std::runtime_error("--flops must be a positive number");
  auto f = [&](double logN) {
    double N = std::exp(logN);
    return law.loss(N, C / (6.0 * N));
  };
  // Over N in [1, C / 6] (at least one token); the loss is unimodal in log N.
  const double N = std::exp(golden_section_min(f, 0.0, std::log(C / 6.0), 1e-10)),
               D = C / (6.0 * N);
  return {C, N, D, D / N, law.loss(N, D)};
}

double gpu_days(double flops, double peak, double count, double mfu) {
  return flops / (peak * count * mfu) / 86400.0;
}

}  // namespace scalelab
