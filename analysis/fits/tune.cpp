#include "analysis/fits/tune.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "analysis/inputs/run_tags.h"
#include "analysis/numerics/bootstrap.h"
#include "analysis/numerics/optimize.h"

namespace scalelab {
namespace {

std::string g4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string size_label(double N) {
  return "size N = " + g4(N);
}

// One size at one beta2: its lr curves, one per batch.
struct SizeGrid {
  double N = 0, beta2 = 0;
  std::vector<LrCurve> curves;  // ascending batch
  size_t best = 0;              // the curve holding the lowest loss
};

// The lowest measured loss of a curve (used for a batch whose lr curve has no interior minimum).
double min_loss(const LrCurve& c) {
  return c.loss.empty() ? INFINITY : *std::min_element(c.loss.begin(), c.loss.end());
}

// The batch optimum of one size: a parabola in ln B through each batch's best loss.
struct BatchFit {
  double B_opt = 0;
  std::string refusal;
};
BatchFit fit_batch(const SizeGrid& s) {
  BatchFit b;
  const std::string who = size_label(s.N);
  if (s.curves.size() < 3) {
    b.refusal = who + ": " + std::to_string(s.curves.size()) +
                " batch size(s); a parabola in log B needs at least 3";
    return b;
  }
  std::vector<double> B, L;
  for (const auto& c : s.curves) {
    B.push_back(c.batch_tokens);
    L.push_back(c.refusal.empty() ? c.loss_opt : min_loss(c));
  }
  const size_t imin = std::min_element(L.begin(), L.end()) - L.begin();
  if (imin == 0 || imin + 1 == L.size()) {
    const bool low = imin == 0;
    b.refusal = who + ": the best batch (" + g4(B[imin]) + " tokens) is the " +
                (low ? "smallest" : "largest") + " of its grid; extend the batch grid " +
                (low ? "downward" : "upward");
    return b;
  }
  double x_mean = 0;
  for (double v : B) x_mean += std::log(v) / B.size();
  std::vector<std::vector<double>> X;
  for (double v : B) {
    const double x = std::log(v) - x_mean;
    X.push_back({1.0, x, x * x});
  }
  const auto c = least_squares(X, L, "batch parabola");
  const double x_opt = -c[1] / (2 * c[2]);
  if (!(c[2] > 0) ||
      !(x_opt > std::log(B.front()) - x_mean && x_opt < std::log(B.back()) - x_mean)) {
    b.refusal = who + ": the loss against log B is not convex inside its grid";
    return b;
  }
  b.B_opt = std::exp(x_mean + x_opt);
  return b;
}

// Groups observations into sizes, each at the beta2 of its lowest loss, and fits their curves.
std::vector<SizeGrid> size_grids(const std::vector<TuneObservation>& obs) {
  // (N, beta2, batch) -> observations; std::map keeps N, beta2 and batch ascending.
  std::map<double, std::map<double, std::map<double, std::vector<const TuneObservation*>>>> by;
  for (const auto& o : obs) by[o.N][o.beta2][o.batch_tokens].push_back(&o);
  std::vector<SizeGrid> out;
  for (const auto& [N, by_beta2] : by) {
    std::vector<SizeGrid> candidates;
    for (const auto& [beta2, by_batch] : by_beta2) {
      SizeGrid s;
      s.N = N, s.beta2 = beta2;
      for (const auto& [batch, points] : by_batch) {
        std::vector<double> lr, loss, diverged;
        std::vector<std::string> names;
        for (const auto* p : points) {
          if (p->diverged) {
            diverged.push_back(p->lr);
            continue;
          }
          lr.push_back(p->lr), loss.push_back(p->loss), names.push_back(p->name);
        }
        s.curves.push_back(fit_lr_curve(N, batch, beta2, lr, loss, names, diverged));
      }
      for (size_t i = 0; i < s.curves.size(); ++i)
        if (min_loss(s.curves[i]) < min_loss(s.curves[s.best])) s.best = i;
      candidates.push_back(std::move(s));
    }
    size_t best = 0;
    for (size_t i = 0; i < candidates.size(); ++i)
      if (min_loss(candidates[i].curves[candidates[i].best]) <
          min_loss(candidates[best].curves[candidates[best].best]))
        best = i;
    out.push_back(std::move(candidates[best]));
  }
  return out;
}

// The laws from the used sizes: {ln c_lr, k_lr, ln c_B, k_B} (the batch pair NaN without one).
std::optional<std::vector<double>> laws_of(const std::vector<SizeGrid>& sizes, bool with_batch) {
  std::vector<double> N, lr, NB, B;
  for (const auto& s : sizes) {
    const LrCurve& c = s.curves[s.best];
    if (!c.refusal.empty()) return std::nullopt;
    N.push_back(s.N), lr.push_back(c.lr_opt);
    if (with_batch) {
      const BatchFit b = fit_batch(s);
      if (b.refusal.empty()) NB.push_back(s.N), B.push_back(b.B_opt);
    }
  }
  if (N.size() < 2) return std::nullopt;
  const PowerLaw l = fit_power_law(N, lr, "lr_opt(N)");
  std::vector<double> out = {std::log(l.k), -l.p, NAN, NAN};
  if (with_batch && NB.size() >= 2) {
    const PowerLaw b = fit_power_law(NB, B, "B_opt(N)");
    out[2] = std::log(b.k), out[3] = b.p;
  }
  return out;
}

}  // namespace

double LrCurve::at(double lr_value) const {
  const double x = std::log(lr_value) - x_mean;
  return c0 + c1 * x + c2 * x * x;
}

std::vector<TuneObservation> tune_observations(const std::vector<Run>& runs, ParamCount count) {
  std::vector<TuneObservation> out;
  for (const auto& r : runs) {
    const std::optional<double> lr = tag_number(r, "tune_lr");
    if (!lr) continue;  // not a tune run
    if (r.status == RunStatus::paused) continue;
    TuneObservation o;
    o.diverged = r.status == RunStatus::diverged;
    o.name = r.name;
    o.N = run_params(r, count);
    o.lr = *lr;
    const auto batch = tag_number(r, "tune_batch_size"), block = tag_number(r, "tune_block_size");
    o.batch_tokens = batch && block ? *batch * *block : 0;
    o.beta2 = tag_number(r, "tune_beta2").value_or(0);
    o.loss = r.final_val_loss;
    if (o.diverged || (std::isfinite(o.loss) && o.loss > 0)) out.push_back(o);
  }
  return out;
}

LrCurve fit_lr_curve(double N, double batch_tokens, double beta2, std::vector<double> lr,
                     std::vector<double> loss, std::vector<std::string> names,
                     const std::vector<double>& diverged_lr) {
  LrCurve c;
  c.N = N, c.batch_tokens = batch_tokens, c.beta2 = beta2;
  std::vector<size_t> order(lr.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lr[a] < lr[b]; });
  for (size_t i : order) {
    c.lr.push_back(lr[i]), c.loss.push_back(loss[i]);
    c.names.push_back(i < names.size() ? names[i] : "");
  }
  const std::string who = size_label(N) + (names.empty() ? "" : " (" + c.names.front() + ", ...)");
  const std::set<double> distinct(c.lr.begin(), c.lr.end());
  if (distinct.size() < 3 && !diverged_lr.empty()) {
    const double lowest = *std::min_element(diverged_lr.begin(), diverged_lr.end());
    c.refusal = who + ": " + std::to_string(distinct.size()) + " learning rate(s) trained and " +
                g4(lowest) + " diverged; a parabola needs 3: add learning rates below " +
                g4(lowest);
    return c;
  }
  if (distinct.size() < 3)
    throw std::runtime_error(who + ": " + std::to_string(distinct.size()) +
                             " distinct learning rate(s); a parabola in log(lr) needs at least 3");
  const size_t imin = std::min_element(c.loss.begin(), c.loss.end()) - c.loss.begin();
  const double near = c.loss[imin] * (1 + kNearMinimum);
  c.fit_begin = imin > 0 ? imin - 1 : 0;
  c.fit_end = std::min(c.lr.size(), imin + 2);
  while (c.fit_begin > 0 && imin - c.fit_begin < kLrWindow && c.loss[c.fit_begin - 1] <= near)
    --c.fit_begin;
  while (c.fit_end < c.lr.size() && c.fit_end - 1 - imin < kLrWindow && c.loss[c.fit_end] <= near)
    ++c.fit_end;
  const size_t n_fit = c.fit_end - c.fit_begin;
  std::vector<std::vector<double>> X;
  std::vector<double> y;
  for (size_t i = c.fit_begin; i < c.fit_end; ++i) c.x_mean += std::log(c.lr[i]) / n_fit;
  for (size_t i = c.fit_begin; i < c.fit_end; ++i) {
    const double x = std::log(c.lr[i]) - c.x_mean;
    X.push_back({1.0, x, x * x});
    y.push_back(c.loss[i]);
  }
  double diverged_above = INFINITY;
  for (double v : diverged_lr)
    if (v > c.lr.back()) diverged_above = std::min(diverged_above, v);
  if (imin + 1 == c.loss.size() && std::isfinite(diverged_above)) {
    c.refusal = who + ": the best lr " + g4(c.lr[imin]) + " is the largest that trained and " +
                g4(diverged_above) + " diverged; add learning rates between them";
    return c;
  }
  if (imin == 0 || imin + 1 == c.loss.size()) {
    const bool low = imin == 0;
    c.refusal = who + ": the best lr " + g4(c.lr[imin]) + " is the " +
                (low ? "smallest" : "largest") + " of its grid (" + g4(c.lr.front()) + " to " +
                g4(c.lr.back()) + "); extend the grid " +
                (low ? "downward, below " : "upward, above ") + g4(c.lr[imin]);
    return c;
  }
  const auto k = least_squares(X, y, "lr parabola");
  c.c0 = k[0], c.c1 = k[1], c.c2 = k[2];
  const double x_opt = c.c2 > 0 ? -c.c1 / (2 * c.c2) : NAN;
  const double lo = std::log(c.lr[c.fit_begin]) - c.x_mean,
               hi = std::log(c.lr[c.fit_end - 1]) - c.x_mean;
  if (!(c.c2 > 0) || !(x_opt > lo && x_opt < hi)) {
    c.refusal = who + ": the loss against log(lr) is not convex around its best lr " +
                g4(c.lr[imin]) + "; add learning rates between " + g4(c.lr[c.fit_begin]) + " and " +
                g4(c.lr[c.fit_end - 1]);
    return c;
  }
  c.lr_opt = std::exp(c.x_mean + x_opt);
  c.loss_opt = c.c0 + c.c1 * x_opt + c.c2 * x_opt * x_opt;
  // The parabola is trusted only near the losses it was fitted to: a minimum far below every run
  // means the points are too far apart for the curve's shape to be a parabola between them.
  if (c.loss_opt < c.loss[imin] * (1 - kNearMinimum)) {
    c.refusal = who + ": the parabola's minimum (loss " + g4(c.loss_opt) + " at lr " +
                g4(c.lr_opt) + ") lies far below every run (best " + g4(c.loss[imin]) +
                "): the grid is too coarse there; add learning rates between " +
                g4(c.lr[c.fit_begin]) + " and " + g4(c.lr[c.fit_end - 1]);
    c.lr_opt = c.loss_opt = 0;
  }
  return c;
}

TuneResult fit_tune(const std::vector<TuneObservation>& obs, const TuneOptions& opts) {
  if (obs.empty()) throw std::runtime_error("tune: no finished tune runs (runs tagged tune_lr)");
  TuneResult r;
  std::vector<TuneObservation> trained;
  std::string diverged;
  for (const auto& o : obs) {
    if (!o.diverged) trained.push_back(o);
    if (o.diverged) diverged += (diverged.empty() ? "" : ", ") + o.name;
  }
  if (!diverged.empty())
    r.notes.push_back("diverged (left out of the parabolas; their lr is too high): " + diverged);
  if (trained.empty()) throw std::runtime_error("tune: every tune run diverged (" + diverged + ")");
  std::vector<SizeGrid> all = size_grids(obs), used;
  std::set<double> batches;
  for (const auto& o : trained) batches.insert(o.batch_tokens);
  const bool with_batch = batches.size() > 1;
  for (auto& s : all) {
    for (const auto& c : s.curves) r.curves.push_back(c);
    const LrCurve& best = s.curves[s.best];
    if (!best.refusal.empty()) {
      r.refused.push_back(best.refusal);
      continue;
    }
    used.push_back(s);
  }
  if (used.size() < 2) {
    std::string why;
    for (const auto& x : r.refused) why += "; " + x;
    throw std::runtime_error("tune: " + std::to_string(used.size()) + " of " +
                             std::to_string(all.size()) +
                             " size(s) have an interior lr optimum; a law lr_opt(N) needs 2" + why);
  }
  Hparams& h = r.hparams;
  h.params_counted = opts.params_counted;
  h.warmup_tokens_per_param = opts.warmup_tokens_per_param;
  for (const auto& s : used) {
    const LrCurve& c = s.curves[s.best];
    h.sizes.push_back({s.N, c.lr_opt, c.loss_opt, c.batch_tokens, c.beta2, c.names.front()});
    if (with_batch)
      if (const BatchFit b = fit_batch(s); !b.refusal.empty()) r.refused.push_back(b.refusal);
  }
  const auto point = *laws_of(used, with_batch);
  h.lr = {std::exp(point[0]), point[1]};
  if (std::isfinite(point[2]))
    h.batch_tokens = SizeLaw{std::exp(point[2]), point[3], NAN, NAN, NAN, NAN, +1};
  if (with_batch && !h.batch_tokens)
    r.notes.push_back("no B_opt(N) law: fewer than 2 sizes have an interior batch optimum");

  // Residual bootstrap: every loss of the used grids is its curve's fit plus a residual drawn
  // from all of them (scaled for the 3 constants each curve spends), then the curves, optima and
  // laws are refitted. It measures how far the losses' noise moves the laws.
  std::vector<std::pair<size_t, size_t>> slots;  // (size, curve) per observation, in order
  std::vector<double> residuals;
  size_t n_constants = 0;
  for (size_t i = 0; i < used.size(); ++i)
    for (size_t j = 0; j < used[i].curves.size(); ++j) {
      const LrCurve& c = used[i].curves[j];
      if (!c.refusal.empty()) continue;
      n_constants += 3;
      for (size_t p = c.fit_begin; p < c.fit_end; ++p) {
        slots.push_back({i, j});
        residuals.push_back(c.loss[p] - c.at(c.lr[p]));
      }
    }
  const size_t n = residuals.size();
  if (opts.n_bootstrap > 0 && n <= n_constants) {
    r.notes.push_back(
        "no interval: each parabola passes through its 3 points exactly (no residuals to "
        "resample); tune 4 or more learning rates per size for an interval");
  } else if (opts.n_bootstrap > 0) {
    const double scale = std::sqrt(double(n) / double(n - n_constants));
    BootstrapOptions bo;
    bo.n_resamples = opts.n_bootstrap, bo.seed = opts.seed, bo.n_threads = opts.n_threads;
    ResampleFit refit = [&](const std::vector<size_t>& idx) -> std::optional<std::vector<double>> {
      std::vector<SizeGrid> sizes = used;
      std::map<std::pair<size_t, size_t>, size_t> next;  // point index within each window
      for (size_t m = 0; m < n; ++m) {
        auto [i, j] = slots[m];
        LrCurve& c = sizes[i].curves[j];
        const size_t p = c.fit_begin + next[slots[m]]++;
        c.loss[p] = c.at(c.lr[p]) + scale * residuals[idx[m]];
      }
      try {
        for (auto& s : sizes)
          for (auto& c : s.curves)
            if (c.refusal.empty())
              c = fit_lr_curve(c.N, c.batch_tokens, c.beta2, c.lr, c.loss, c.names);
        auto laws = laws_of(sizes, with_batch);
        if (laws && h.batch_tokens && !std::isfinite((*laws)[2])) return std::nullopt;
        if (laws && !h.batch_tokens) laws->resize(2);
        return laws;
      } catch (const std::runtime_error&) {
        return std::nullopt;
      }
    };
    const BootstrapResult b = bootstrap(n, refit, bo);
    r.n_resamples_failed = b.n_failed;
    if (!b.samples.empty()) {
      h.lr.c_lo = std::exp(b.lo[0]), h.lr.c_hi = std::exp(b.hi[0]);
      h.lr.k_lo = b.lo[1], h.lr.k_hi = b.hi[1];
      if (h.batch_tokens && b.lo.size() >= 4) {
        h.batch_tokens->c_lo = std::exp(b.lo[2]), h.batch_tokens->c_hi = std::exp(b.hi[2]);
        h.batch_tokens->k_lo = b.lo[3], h.batch_tokens->k_hi = b.hi[3];
      }
    }
    if (b.n_failed > 0)
      r.notes.push_back(std::to_string(b.n_failed) + " of " + std::to_string(opts.n_bootstrap) +
                        " resamples lost an interior optimum and were dropped");
  }
  if (used.size() == 2)
    r.notes.push_back(
        "2 sizes: the law passes through both optima exactly; its interval "
        "reflects the losses' noise only");
  return r;
}

std::string format_tune(const TuneResult& r) {
  const Hparams& h = r.hparams;
  std::string s;
  char line[256];
  std::snprintf(line, sizeof line, "  %-12s %10s %10s %12s %8s\n", "N", "lr_opt", "loss_opt",
                "batch_tokens", "beta2");
  s += line;
  for (const auto& z : h.sizes) {
    std::snprintf(line, sizeof line, "  %-12.4g %10.4g %10.4f %12.4g %8.4g\n", z.N, z.lr_opt,
                  z.loss_opt, z.batch_tokens, z.beta2);
    s += line;
  }
  auto interval = [](double lo, double hi) {
    if (!std::isfinite(lo)) return std::string(" (no interval)");
    return " [" + g4(lo) + ", " + g4(hi) + "]";
  };
  s += "lr_opt(N) = c N^-k, N " + h.params_counted + ": c = " + g4(h.lr.c) +
       interval(h.lr.c_lo, h.lr.c_hi) + ", k = " + g4(h.lr.k) + interval(h.lr.k_lo, h.lr.k_hi) +
       "\n";
  if (h.batch_tokens)
    s += "B_opt(N) = c N^k tokens: c = " + g4(h.batch_tokens->c) +
         interval(h.batch_tokens->c_lo, h.batch_tokens->c_hi) + ", k = " + g4(h.batch_tokens->k) +
         interval(h.batch_tokens->k_lo, h.batch_tokens->k_hi) + "\n";
  for (const auto& x : r.refused) s += "refused: " + x + "\n";
  for (const auto& x : r.notes) s += "note: " + x + "\n";
  return s;
}

}  // namespace scalelab
