// Which LD terms each evaluated step of a MultiPowerCurve sums (laws/multipower_law.h,
// MultiPowerSum): every change of the lr near the step exactly, the changes further back merged
// in aligned blocks that double in size as the distance doubles.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "analysis/laws/multipower_law.h"

namespace scalelab {
namespace {

// Changes of a block, summed: merging them into one term needs all of them and only them.
struct BlockStats {
  double w = 0, w_lr = 0, w_p = 0;  // sum of changes d, of d lr_k, of d P_{k-1}
  double lo = HUGE_VAL, hi = 0;     // range of lr_k
  int sign = 0;                     // of the changes; 0 when there is none
  bool mixed = false;               // changes of both signs

  void add(double d, double lr, double p) {
    const int s = d > 0 ? 1 : -1;
    mixed = mixed || (sign != 0 && s != sign);
    sign = s;
    w += d, w_lr += d * lr, w_p += d * p;
    lo = std::min(lo, lr), hi = std::max(hi, lr);
  }
  void add(const BlockStats& o) {
    if (o.sign == 0) return;
    mixed = mixed || o.mixed || (sign != 0 && o.sign != sign);
    sign = o.sign;
    w += o.w, w_lr += o.w_lr, w_p += o.w_p;
    lo = std::min(lo, o.lo), hi = std::max(hi, o.hi);
  }
  // One term at the change-weighted means is a midpoint rule: accurate while every change has one
  // sign and the lr (whose -gamma power scales the term) moves by at most 10% (not the start of a
  // warmup).
  bool mergeable() const { return sign != 0 && !mixed && hi <= 1.1 * lo; }
};

struct RawTerm {
  double w, lr, P;  // w G(C lr^-gamma (P_t - P))
};

// Every change k of the schedule (exact terms) and every aligned block of m 2^level changes: one
// merged term when mergeable, else the terms of its two halves.
class TermTable {
 public:
  TermTable(const std::vector<double>& eta, const std::vector<double>& P, int64_t tmax, int64_t m)
      : m_(m), exact_id_(tmax + 1, -1) {
    for (int64_t k = 1; k <= tmax; ++k) {
      const double d = eta[k - 1] - eta[k];
      if (d == 0) continue;
      exact_id_[k] = static_cast<int64_t>(raw_.size());
      raw_.push_back({d, eta[k], P[k - 1]});
    }
    if (m < 2) return;
    for (int64_t size = m; size <= tmax; size *= 2) {
      const bool base = size == m;
      std::vector<BlockStats> stats(tmax / size);
      std::vector<std::vector<uint32_t>> ids(stats.size());
      for (size_t b = 0; b < stats.size(); ++b) {
        if (base) {
          for (int64_t k = int64_t(b) * m + 1; k <= int64_t(b + 1) * m; ++k)
            if (exact_id_[k] >= 0) stats[b].add(raw_[exact_id_[k]].w, eta[k], P[k - 1]);
        } else {
          stats[b].add(stats_.back()[2 * b]);
          stats[b].add(stats_.back()[2 * b + 1]);
        }
        if (stats[b].mergeable()) {
          const BlockStats& s = stats[b];
          ids[b] = {static_cast<uint32_t>(raw_.size())};
          raw_.push_back({s.w, s.w_lr / s.w, s.w_p / s.w});
        } else if (stats[b].sign != 0 && base) {
          for (int64_t k = int64_t(b) * m + 1; k <= int64_t(b + 1) * m; ++k)
            if (exact_id_[k] >= 0) ids[b].push_back(static_cast<uint32_t>(exact_id_[k]));
        } else if (stats[b].sign != 0) {
          for (size_t half : {2 * b, 2 * b + 1})
            ids[b].insert(ids[b].end(), ids_.back()[half].begin(), ids_.back()[half].end());
        }
      }
      stats_.push_back(std::move(stats));
      ids_.push_back(std::move(ids));
    }
  }

  // The terms step t sums: changes k in (c, t] exactly, with c = (t - window) rounded down to a
  // multiple of m; below c, blocks whose size doubles whenever their distance from t has doubled,
  // so that size / distance <= m / window.
  void terms_of(int64_t t, int64_t window, std::vector<uint32_t>& out) const {
    out.clear();
    const bool blocked = window >= 0 && m_ >= 2;
    const int64_t c = blocked ? std::max<int64_t>(0, t - window) / m_ * m_ : 0;
    for (int64_t k = t; k > c; --k)
      if (exact_id_[k] >= 0) out.push_back(static_cast<uint32_t>(exact_id_[k]));
    size_t level = 0;
    for (int64_t hi = c; hi > 0;) {
      while (level + 1 < ids_.size() && hi % (m_ << (level + 1)) == 0 &&
             t - hi >= (window << (level + 1)))
        ++level;
      const int64_t size = m_ << level;
      const auto& block = ids_[level][hi / size - 1];
      out.insert(out.end(), block.begin(), block.end());
      hi -= size;
    }
  }

  const RawTerm& raw(uint32_t id) const { return raw_[id]; }

 private:
  int64_t m_;
  std::vector<int64_t> exact_id_;                        // raw term of change k, or -1
  std::vector<RawTerm> raw_;                             // exact terms, then merged blocks
  std::vector<std::vector<BlockStats>> stats_;           // per level, per block
  std::vector<std::vector<std::vector<uint32_t>>> ids_;  // per level, per block: its terms
};

}  // namespace

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
    if (!(P[s] > 0))
      throw std::runtime_error("multipower: step " + std::to_string(s) +
                               ": no learning rate summed yet (S1 + S_W = 0)");
    tmax = std::max(tmax, s);
  }
  const TermTable table(eta, P, tmax, sum.exact_window >= 0 ? sum.block : 1);
  // lr 0 would make lr^-gamma infinite; a floor far below any real lr keeps every term finite.
  const double floor = std::max(peak, 1e-300) * 1e-12;
  std::unordered_map<uint32_t, uint32_t> used;  // raw term -> index into terms_
  std::vector<uint32_t> ids;
  first_use_.push_back(0);
  for (int64_t t : steps_) {
    Z_.push_back(P[t]);
    table.terms_of(t, sum.exact_window, ids);
    for (uint32_t id : ids) {
      const RawTerm& r = table.raw(id);
      const double S = P[t] - r.P;
      if (!(S > 0)) continue;
      auto [it, fresh] = used.try_emplace(id, static_cast<uint32_t>(terms_.size()));
      if (fresh) terms_.push_back({r.w, std::log(std::max(r.lr, floor))});
      uses_.push_back({S, it->second});
    }
    first_use_.push_back(uses_.size());
  }
}

}  // namespace scalelab
