#include "analysis/laws/laws.h"

#include <cmath>
#include <cstdio>
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
  // In logs: G (C / 6)^a stays finite for C up to the largest double.
  const double log_G = std::log(alpha * A / (beta * B)) / (alpha + beta);
  return std::exp(log_G + beta / (alpha + beta) * std::log(C / 6.0));
}

double Law::loss(double N, double D) const {
  return kind == Kind::kaplan ? kaplan.loss(N, D) : chinchilla.loss(N, D);
}

double kaplan_min_tokens(double N) {
  return 5e3 * std::pow(N, 0.74);
}

double kaplan_optimal_params(const KaplanLaw& k, double C) {
  // L = X^alpha_D with X = (Nc / N)^r + Dc / D, r = alpha_N / alpha_D, and D = C / (6 N): L is
  // monotone in X, and dX/dN = -r Nc^r N^-(r+1) + 6 Dc / C = 0 gives
  // N^(r+1) = r Nc^r C / (6 Dc). In logs, so that no power overflows.
  const double r = k.alpha_N / k.alpha_D;
  return std::exp((std::log(r) + r * std::log(k.Nc) + std::log(C) - std::log(6.0 * k.Dc)) /
                  (r + 1.0));
}

namespace {

std::string g3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// The closed forms need a law whose loss falls in both N and D; a fitted law may not have one.
void require_interior_optimum(const Law& law) {
  const bool ok = law.kind == Law::Kind::kaplan
                      ? law.kaplan.alpha_N > 0 && law.kaplan.alpha_D > 0 && law.kaplan.Nc > 0 &&
                            law.kaplan.Dc > 0
                      : law.chinchilla.alpha > 0 && law.chinchilla.beta > 0 &&
                            law.chinchilla.A > 0 && law.chinchilla.B > 0;
  if (!ok)
    throw std::runtime_error("law " + law.name +
                             ": its loss does not fall in both N and D (exponents and "
                             "coefficients must be positive), so it has no compute-optimal N");
}

}  // namespace

ComputePlan plan_compute(const Law& law, double C) {
  if (!(C > 0) || !std::isfinite(C)) throw std::runtime_error("--flops must be a positive number");
  require_interior_optimum(law);
  // Closed forms (no search, so nothing to clamp and no loss of precision where E dwarfs the
  // reducible loss: at C = 1e200 a search over L itself once returned an arbitrary N).
  const double N = law.kind == Law::Kind::kaplan ? kaplan_optimal_params(law.kaplan, C)
                                                 : law.chinchilla.optimal_params(C);
  const double D = C / (6.0 * N);
  // At least one parameter and one token: outside that the law's optimum is not a model.
  if (!(N >= 1) || !(D >= 1) || !std::isfinite(N) || !std::isfinite(D))
    throw std::runtime_error("--flops " + g3(C) + ": " +
                             (law.name.empty() ? std::string("the law") : law.name) +
                             "'s optimum N = " + g3(N) + ", D = " + g3(D) +
                             " lies outside N >= 1 parameter, D >= 1 token (C = 6 N D)");
  return {C, N, D, D / N, law.loss(N, D)};
}

double gpu_days(double flops, double peak, double count, double mfu) {
  return flops / (peak * count * mfu) / 86400.0;
}

}  // namespace scalelab
