#include "analysis/laws/laws.h"

#include <cmath>
#include <stdexcept>

#include "analysis/numerics/optimize.h"

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
