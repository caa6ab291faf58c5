#include "analysis/laws/multipower_law.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace scalelab {

const std::array<const char*, MultiPowerLaw::kParams> MultiPowerLaw::names = {
    "L0", "A", "alpha", "B", "C", "beta", "gamma"};

MultiPowerLaw MultiPowerLaw::from_values(const std::array<double, kParams>& v) {
  return {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
}
MultiPowerLaw MultiPowerLaw::published_25m() {
  return {3.04045406, 0.52468604, 0.50786857, 363.78751622, 2.06560812, 0.58279013, 0.64142257};
}
MultiPowerLaw MultiPowerLaw::published_100m() {
  return {2.6514477, 0.60115152, 0.45295811, 437.9464276, 2.13245612, 0.59785199, 0.65523644};
}

// ---------------------------------------------------------------------------------------------
// Evaluation (the terms each step sums are chosen in multipower_sum.cpp)

void MultiPowerCurve::evaluate(
    const MultiPowerLaw& law, std::vector<double>& loss,
    std::vector<std::array<double, MultiPowerLaw::kParams>>* grad) const {
  const size_t n = steps_.size();
  loss.assign(n, 0.0);
  if (grad) grad->assign(n, {});
  // Per term C lr^-gamma, so that a use's C x is one product. Per step, with u = C x and
  // p = (1 + u)^-beta: dLD/dC = (beta / C) sum w u p / (1 + u), dLD/dbeta = sum w p log(1 + u),
  // dLD/dgamma = -beta sum w u p / (1 + u) log lr.
  std::vector<double> c_e(terms_.size());
  for (size_t i = 0; i < terms_.size(); ++i)
    c_e[i] = law.C * std::exp(-law.gamma * terms_[i].log_lr);
  const double beta = law.beta;
  for (size_t j = 0; j < n; ++j) {
    double LD = 0, w_up = 0, w_up_log_lr = 0, w_p_lu = 0;
    for (size_t u = first_use_[j]; u < first_use_[j + 1]; ++u) {
      const Term& tm = terms_[uses_[u].term];
      const double cx = c_e[uses_[u].term] * uses_[u].S;
      const double lu = std::log1p(cx), p = std::exp(-beta * lu);
      LD += tm.w * (1 - p);
      if (grad) {
        const double a = tm.w * p * cx / (1 + cx);
        w_up += a;
        w_up_log_lr += a * tm.log_lr;
        w_p_lu += tm.w * p * lu;
      }
    }
    const double dC = beta / law.C * w_up, dbeta = w_p_lu, dgamma = -beta * w_up_log_lr;
    const double lz = std::log(Z_[j]), zpow = std::exp(-law.alpha * lz);
    loss[j] = law.L0 + law.A * zpow - law.B * LD;
    if (grad)
      (*grad)[j] = {1.0,         zpow,           -law.A * zpow * lz, -LD,
                    -law.B * dC, -law.B * dbeta, -law.B * dgamma};
  }
}

std::vector<double> MultiPowerCurve::predict(const MultiPowerLaw& law) const {
  std::vector<double> out;
  evaluate(law, out);
  return out;
}

double multipower_direct(const MultiPowerLaw& law, const std::vector<double>& lr, int64_t step) {
  auto eta = [&](int64_t k) { return k >= 1 ? lr[k - 1] : 0.0; };
  double S = 0;
  for (int64_t k = 1; k <= step; ++k) S += eta(k);
  double LD = 0;
  for (int64_t k = 1; k <= step; ++k) {
    double Sk = 0;
    for (int64_t tau = k; tau <= step; ++tau) Sk += eta(tau);
    const double G = 1 - std::pow(law.C * std::pow(eta(k), -law.gamma) * Sk + 1, -law.beta);
    LD += (eta(k - 1) - eta(k)) * G;
  }
  return law.L0 + law.A * std::pow(S, -law.alpha) - law.B * LD;
}

RelativeError relative_error(const std::vector<double>& predicted,
                             const std::vector<double>& measured) {
  RelativeError e;
  if (measured.empty()) return e;
  for (size_t i = 0; i < measured.size(); ++i) {
    const double r = std::abs(predicted[i] / measured[i] - 1);
    e.mean += r;
    e.worst = std::max(e.worst, r);
  }
  e.mean /= double(measured.size());
  e.final = std::abs(predicted.back() / measured.back() - 1);
  return e;
}

}  // namespace scalelab
