#include "analysis/design/simulate_design.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>

#include "analysis/fits/approach2.h"
#include "analysis/fits/approach3.h"
#include "analysis/fits/budget_minima.h"
#include "analysis/fits/seed_bootstrap.h"
#include "analysis/inputs/seed_points.h"
#include "analysis/numerics/bootstrap.h"

namespace scalelab {
namespace {

std::string g6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void check(const StudyDesign& d, const SimulationProcedure& p) {
  if (d.budgets.empty()) throw std::runtime_error("simulate_design: the design has no budget");
  for (const auto& b : d.budgets) {
    if (!(b.flops > 0))
      throw std::runtime_error("simulate_design: a budget of " + g6(b.flops) + " FLOPs");
    if (b.sizes.empty())
      throw std::runtime_error("simulate_design: budget " + g6(b.flops) + " has no sizes");
    for (double n : b.sizes)
      if (!(n > 0))
        throw std::runtime_error("simulate_design: budget " + g6(b.flops) + " has size " + g6(n));
  }
  if (d.seeds < 1) throw std::runtime_error("simulate_design: seeds must be at least 1");
  if (d.min_each_side < 0 || d.max_added < 0)
    throw std::runtime_error("simulate_design: the bracketing rule and its cap must be >= 0");
  if (p.repeats < 1) throw std::runtime_error("simulate_design: repeats must be at least 1");
  if (p.bootstrap < 2) throw std::runtime_error("simulate_design: bootstrap must be at least 2");
}

struct RepeatOutcome {
  struct Fit {
    bool ok = false, identified = false;
    double a = NAN, lo = NAN, hi = NAN;
  } a2, a3;
  int bracketed = 0, runs = 0, added = 0;
  double flops = 0;
};

RepeatOutcome::Fit outcome(const FitResult& f) {
  const Estimate& a = f.at("a");
  return {true, f.identified, a.value, a.lo, a.hi};
}

ApproachSummary summarise(const std::vector<RepeatOutcome>& all, bool second, double truth) {
  ApproachSummary s;
  std::vector<double> a;
  double covered = 0, width = 0;
  for (const auto& r : all) {
    const RepeatOutcome::Fit& f = second ? r.a3 : r.a2;
    s.a.push_back(f.ok ? f.a : NAN);
    const bool hit = f.ok && f.identified && f.lo <= truth && truth <= f.hi;
    s.covered.push_back(hit);
    s.identified_in.push_back(f.ok && f.identified);
    if (!f.ok) continue;
    ++s.fitted;
    a.push_back(f.a);
    if (!f.identified) continue;
    ++s.identified;
    covered += hit;
    width += f.hi - f.lo;
  }
  if (!a.empty()) {
    double mean = 0, ss = 0;
    for (double v : a) mean += v / a.size();
    for (double v : a) ss += (v - mean) * (v - mean);
    s.mean_a = mean;
    s.sd_a = a.size() > 1 ? std::sqrt(ss / (a.size() - 1)) : NAN;
    s.lo_a = quantile(a, 0.025), s.hi_a = quantile(a, 0.975);
  }
  if (s.identified > 0) s.coverage = covered / s.identified, s.mean_width = width / s.identified;
  return s;
}

nlohmann::json summary_json(const ApproachSummary& s) {
  auto num = [](double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
  };
  return {{"fitted", s.fitted},
          {"identified", s.identified},
          {"mean_a", num(s.mean_a)},
          {"sd_a", num(s.sd_a)},
          {"range95_a", {num(s.lo_a), num(s.hi_a)}},
          {"coverage", num(s.coverage)},
          {"mean_interval_width", num(s.mean_width)}};
}

}  // namespace

// Seeds of repeats from one seed, so repeat r's draws do not depend on threads.
uint64_t simulation_repeat_seed(uint64_t seed, uint64_t r) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (r + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

PriorLaw PriorLaw::chinchilla(const ChinchillaLaw& law, const std::string& name) {
  return {name, [law](double N, double D) { return law.loss(N, D); },
          law.beta / (law.alpha + law.beta)};
}

nlohmann::json SimulationResult::to_json() const {
  return {{"prior", prior},
          {"true_a", true_a},
          {"repeats", repeats},
          {"approach2", summary_json(approach2)},
          {"approach3", summary_json(approach3)},
          {"bracketed_share", bracketed_share},
          {"mean_runs", mean_runs},
          {"mean_added_runs", mean_added_runs},
          {"mean_flops", mean_flops},
          {"seconds", seconds}};
}

SimulatedStudy simulate_study(const StudyDesign& design, const PriorLaw& prior,
                              const NoiseModel& noise, uint64_t seed) {
  std::mt19937_64 rng(seed);
  PortableNormal normal;
  const double rho = noise.trunk_correlation, shared = std::sqrt(rho), own = std::sqrt(1 - rho);
  std::map<std::pair<long long, int>, double> trunk_effect;  // (size, seed) -> u, when branched
  std::vector<std::vector<double>> ladder(design.budgets.size());
  SimulatedStudy s;
  auto add_size = [&](size_t b, double N) {
    const double C = design.budgets[b].flops;
    const double D = design.tokens ? design.tokens(N, C) : C / (6 * N);
    const long long key = std::llround(std::log(N) * 1e9);
    for (int k = 0; k < design.seeds; ++k) {
      double u;
      if (design.branched) {
        auto it = trunk_effect.find({key, k});
        if (it == trunk_effect.end())
          it = trunk_effect.emplace(std::pair{key, k}, normal(rng)).first;
        u = it->second;
      } else {
        u = normal(rng);
      }
      const double loss = prior.loss(N, D) + noise.sd(N, D) * (shared * u + own * normal(rng));
      Point p{N, D, C, loss, "b" + g6(C) + "-n" + g6(N) + "-s" + std::to_string(k), C};
      p.group = "b" + g6(C) + "-n" + g6(N);
      p.trunk = design.branched ? "n" + g6(N) + "-s" + std::to_string(k) : p.name;
      p.seed = k;
      s.runs.push_back(p);
    }
    ladder[b].push_back(N);
    std::sort(ladder[b].begin(), ladder[b].end());
  };
  for (size_t b = 0; b < design.budgets.size(); ++b)
    for (double N : design.budgets[b].sizes) add_size(b, N);
  // Waves: each budget short of min_each_side sizes on a side gets the next size there (the
  // side below first), all seeds, until bracketed, capped or the shape rule has none.
  std::vector<int> added(design.budgets.size(), 0);
  std::vector<bool> exhausted(design.budgets.size(), false);
  auto minimum_of = [&](const std::vector<BudgetMinimum>& minima, double flops) {
    for (const auto& m : minima)
      if (std::abs(m.budget - flops) <= 1e-9 * flops) return &m;
    return static_cast<const BudgetMinimum*>(nullptr);
  };
  for (bool changed = true; changed;) {
    changed = false;
    const auto minima = budget_minima(group_seeds(s.runs));
    for (size_t b = 0; b < design.budgets.size(); ++b) {
      const BudgetMinimum* m = minimum_of(minima, design.budgets[b].flops);
      if (!m || m->bracketed(design.min_each_side) || exhausted[b] || added[b] >= design.max_added)
        continue;
      const LadderSide side =
          m->below < design.min_each_side ? LadderSide::below : LadderSide::above;
      const auto next = design.next_size
                            ? design.next_size(design.budgets[b].flops, ladder[b], side)
                            : std::nullopt;
      const bool fresh = next && *next > 0 &&
                         std::none_of(ladder[b].begin(), ladder[b].end(),
                                      [&](double n) { return std::abs(n - *next) <= 1e-9 * n; });
      if (!fresh) {
        exhausted[b] = true;
        continue;
      }
      add_size(b, *next);
      ++added[b];
      s.added_runs += design.seeds;
      changed = true;
    }
  }
  const auto minima = budget_minima(group_seeds(s.runs));
  for (const auto& b : design.budgets) {
    const BudgetMinimum* m = minimum_of(minima, b.flops);
    s.bracketed.push_back(m && m->bracketed(design.min_each_side));
  }
  return s;
}

SimulationResult simulate_design(const StudyDesign& design, const PriorLaw& prior,
                                 const NoiseModel& noise, const SimulationProcedure& procedure) {
  check(design, procedure);
  const auto start = std::chrono::steady_clock::now();
  std::vector<RepeatOutcome> outcomes(procedure.repeats);
  std::atomic<int> next{0};
  auto worker = [&] {
    for (int r; (r = next++) < procedure.repeats;) {
      const uint64_t seed = simulation_repeat_seed(procedure.seed, r);
      const SimulatedStudy st = simulate_study(design, prior, noise, seed);
      RepeatOutcome& o = outcomes[r];
      o.runs = static_cast<int>(st.runs.size());
      o.added = st.added_runs;
      for (const auto& p : st.runs) o.flops += p.C;
      o.bracketed = static_cast<int>(std::count(st.bracketed.begin(), st.bracketed.end(), true));
      FitOptions fo;
      fo.n_bootstrap = procedure.bootstrap;
      fo.seed = simulation_repeat_seed(seed, 1);
      fo.n_threads = 1;
      fo.min_each_side = design.min_each_side;
      fo.max_failed_share = procedure.max_failed_share;
      // A fit the data cannot support (fewer than 2 usable budgets, too few points) is a failed
      // repeat, counted, never an error of the simulation.
      if (procedure.approach2) try {
          o.a2 = outcome(fit_approach2(st.runs, fo));
        } catch (const std::runtime_error&) {
        }
      if (procedure.approach3) try {
          o.a3 = outcome(chinchilla_approach3(st.runs, fo));
        } catch (const std::runtime_error&) {
        }
    }
  };
  int n_threads = procedure.n_threads > 0 ? procedure.n_threads
                                          : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min(n_threads, procedure.repeats); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  SimulationResult res;
  res.prior = prior.name;
  res.true_a = prior.a;
  res.repeats = procedure.repeats;
  res.approach2 = summarise(outcomes, false, prior.a);
  res.approach3 = summarise(outcomes, true, prior.a);
  double bracketed = 0;
  for (const auto& o : outcomes) {
    bracketed += o.bracketed;
    res.mean_runs += double(o.runs) / outcomes.size();
    res.mean_added_runs += double(o.added) / outcomes.size();
    res.mean_flops += o.flops / outcomes.size();
  }
  res.bracketed_share = bracketed / (double(outcomes.size()) * design.budgets.size());
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace scalelab
