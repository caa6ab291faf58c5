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
// Evaluation

MultiPowerCurve::MultiPowerCurve(const std::vector<double>& lr, const std::vector<int64_t>& steps,
                                 const MultiPowerSum& sum)
    : steps_(steps) {
  const int64_t T = static_cast<int64_t>(lr.size());
  double peak = 0;
  for (double v : lr) peak = std::max(peak, v);
  // eta[k] = lr of step k (k = 1..T), eta[0] = 0: the lr before the first step. P[k] = sum of
  // eta[1..k] = S1 + S_W at step k.
  std::vector<double> eta(T + 1, 0.0), P(T + 1, 0.0);
  for (int64_t k = 1; k <= T; ++k) {
    eta[k] = lr[k - 1];
    P[k] = P[k - 1] + eta[k];
  }
  int64_t tmax = 0;
  for (int64_t s : steps_) {
    if (s < 1 || s > T)
      throw std::runtime_error("multipower: step " + std::to_string(s) +
                               " outside the schedule [1, " + std::to_string(T) + "]");
    tmax = std::max(tmax, s);
  }
  // lr 0 would make lr^-gamma infinite; a floor far below any real lr keeps every term finite.
  const double floor = std::max(peak, 1e-300) * 1e-12;
  auto log_lr = [&](double v) { return std::log(std::max(v, floor)); };
  std::vector<int64_t> exact_k;
  for (int64_t k = 1; k <= tmax; ++k) {
    const double d = eta[k - 1] - eta[k];
    if (d == 0) continue;
    terms_.push_back({d, log_lr(eta[k]), P[k - 1]});
    exact_k.push_back(k);
  }
  const size_t n_exact = terms_.size();
  const bool blocked = sum.exact_window >= 0 && sum.block > 1;
  const int64_t m = blocked ? sum.block : 1;
  std::vector<size_t> block_end;  // block b covers k in [b m + 1, (b + 1) m]
  if (blocked) {
    for (int64_t b = 0; (b + 1) * m <= tmax; ++b) {
      double w = 0, we = 0, wp = 0, lo = HUGE_VAL, hi = 0;
      int sign = 0;
      bool mixed = false;
      for (int64_t k = b * m + 1; k <= (b + 1) * m; ++k) {
        const double d = eta[k - 1] - eta[k];
        if (d == 0) continue;
        const int sg = d > 0 ? 1 : -1;
        if (sign != 0 && sg != sign) mixed = true;
        sign = sg;
        lo = std::min(lo, eta[k]);
        hi = std::max(hi, eta[k]);
        w += d;
        we += d * eta[k];
        wp += d * P[k - 1];
      }
      // Changes of both signs, or an lr that moves by more than 10% within the block (the start of
      // a warmup), stay exact.
      if (mixed || (sign != 0 && !(hi <= 1.1 * lo))) {
        for (int64_t k = b * m + 1; k <= (b + 1) * m; ++k) {
          const double d = eta[k - 1] - eta[k];
          if (d != 0) terms_.push_back({d, log_lr(eta[k]), P[k - 1]});
        }
      } else if (sign != 0) {
        terms_.push_back({w, log_lr(we / w), wp / w});
      }
      block_end.push_back(terms_.size());
    }
  }
  for (int64_t s : steps_) {
    const int64_t t = s;
    const double Z = P[t];
    if (!(Z > 0))
      throw std::runtime_error("multipower: step " + std::to_string(s) +
                               ": no learning rate summed yet (S1 + S_W = 0)");
    Z_.push_back(Z);
    P_.push_back(P[t]);
    int64_t c = 0;  // k <= c summed by blocks, k in (c, t] exactly
    if (blocked) c = std::max<int64_t>(0, t - sum.exact_window) / m * m;
    const size_t nb = static_cast<size_t>(c / m);
    block_range_.push_back({n_exact, nb == 0 ? n_exact : block_end[nb - 1]});
    const size_t lo = std::upper_bound(exact_k.begin(), exact_k.end(), c) - exact_k.begin();
    const size_t hi = std::upper_bound(exact_k.begin(), exact_k.end(), t) - exact_k.begin();
    exact_range_.push_back({lo, hi});
  }
}

size_t MultiPowerCurve::n_terms() const {
  size_t n = 0;
  for (size_t j = 0; j < steps_.size(); ++j)
    n += (block_range_[j].second - block_range_[j].first) +
         (exact_range_[j].second - exact_range_[j].first);
  return n;
}

void MultiPowerCurve::evaluate(
    const MultiPowerLaw& law, std::vector<double>& loss,
    std::vector<std::array<double, MultiPowerLaw::kParams>>* grad) const {
  const size_t n = steps_.size();
  loss.assign(n, 0.0);
  if (grad) grad->assign(n, {});
  std::vector<double> e(terms_.size());  // lr^-gamma per term
  for (size_t i = 0; i < terms_.size(); ++i) e[i] = std::exp(-law.gamma * terms_[i].log_lr);
  const double C = law.C, beta = law.beta;
  for (size_t j = 0; j < n; ++j) {
    const double Pt = P_[j];
    double LD = 0, dC = 0, dbeta = 0, dgamma = 0;
    auto add = [&](size_t i) {
      const Term& tm = terms_[i];
      const double S = Pt - tm.P;
      if (!(S > 0)) return;
      const double x = e[i] * S, cx = C * x;
      const double lu = std::log1p(cx), p = std::exp(-beta * lu);
      LD += tm.w * (1 - p);
      if (grad) {
        const double q = p / (1 + cx);  // (1 + C x)^(-beta - 1)
        dC += tm.w * beta * q * x;
        dbeta += tm.w * p * lu;
        dgamma -= tm.w * beta * C * q * x * tm.log_lr;
      }
    };
    for (size_t i = block_range_[j].first; i < block_range_[j].second; ++i) add(i);
    for (size_t i = exact_range_[j].first; i < exact_range_[j].second; ++i) add(i);
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
