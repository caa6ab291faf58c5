// The power analysis and the seeded bootstrap on a demo-like design (issue 25 items 2 and 8):
// simulate_design's spread of a, coverage and wall time, and, on the same simulated studies, the
// coverage of approach 2's intervals under two other bootstraps: resampling the three seeds of
// each size (whole trunks, nonparametric) and resampling runs as independent points (the
// bootstrap without seed grouping). Prints one JSON object (raw measurements) on stdout.
//   bench_simulate_design [--repeats R] [--bootstrap B] [--threads T] [--seed S]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "analysis/design/simulate_design.h"
#include "analysis/fits/approach2.h"
#include "analysis/numerics/bootstrap.h"

using namespace scalelab;

namespace {

// The demo's law as fitted to its 60 runs (issue 25).
const ChinchillaLaw kLaw{0.744, 14.9, 41.2, 0.355, 0.327};

// Four budgets over 40x, nine sizes each from one ladder 2^(1/2) apart centred on the prior's
// optimum, three seeds, branched; the next size one rung beyond the ladder.
StudyDesign design() {
  StudyDesign d;
  for (double C : {1e10, 3e10, 1e11, 4e11}) {
    const int k0 = static_cast<int>(std::lround(2 * std::log2(kLaw.optimal_params(C) / 1000)));
    DesignBudget b{C, {}};
    for (int k = -4; k <= 4; ++k) b.sizes.push_back(1000 * std::pow(2.0, (k0 + k) / 2.0));
    d.budgets.push_back(b);
  }
  d.next_size = [](double, const std::vector<double>& s, LadderSide side) -> std::optional<double> {
    return side == LadderSide::below ? s.front() / std::sqrt(2.0) : s.back() * std::sqrt(2.0);
  };
  return d;
}

// Approach 2's a on a study whose runs of each size play the seeds drawn for that size.
std::optional<double> a_with_seeds(const std::vector<Point>& runs,
                                   const std::map<double, std::vector<int>>& pick,
                                   const std::map<std::string, std::map<int, double>>& loss) {
  std::vector<Point> rs = runs;
  for (auto& p : rs) p.loss = loss.at(p.group).at(pick.at(p.N)[p.seed]);
  FitOptions fo;
  fo.min_each_side = 2;
  try {
    return fit_approach2(rs, fo).value("a");
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 200, n_boot = 200, threads = 2;
  uint64_t seed = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--bootstrap")) n_boot = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seed")) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  const StudyDesign d = design();
  const PriorLaw prior = PriorLaw::chinchilla(kLaw, "demo fit (issue 25)");
  const NoiseModel noise = NoiseModel::demo();
  SimulationProcedure p;
  p.repeats = repeats, p.bootstrap = n_boot, p.n_threads = threads, p.seed = seed;
  const SimulationResult r = simulate_design(d, prior, noise, p);
  nlohmann::json out = {{"benchmark", "simulate_design"},
                        {"settings",
                         {{"repeats", repeats},
                          {"bootstrap", n_boot},
                          {"threads", threads},
                          {"seed", seed},
                          {"law", {kLaw.E, kLaw.A, kLaw.B, kLaw.alpha, kLaw.beta}},
                          {"noise", {noise.sd_coef, noise.sd_exponent, noise.trunk_correlation}},
                          {"design",
                           "4 budgets 1e10, 3e10, 1e11, 4e11; 9 sizes 2^(1/2) apart "
                           "centred on the optimum; 3 seeds; branched; bracket 2, cap 4"}}},
                        {"hierarchical", r.to_json()}};
  // The same studies under the two other bootstraps, approach 2 only (its refits are cheap).
  int seeds_cov = 0, seeds_n = 0, runs_cov = 0, runs_n = 0;
  for (int i = 0; i < repeats; ++i) {
    const uint64_t s = simulation_repeat_seed(seed, i);
    const SimulatedStudy st = simulate_study(d, prior, noise, s);
    std::map<std::string, std::map<int, double>> loss;
    for (const auto& q : st.runs) loss[q.group][q.seed] = q.loss;
    std::mt19937_64 rng(s);
    std::vector<double> as;
    int failed = 0;
    for (int b = 0; b < n_boot; ++b) {
      std::map<double, std::vector<int>> pick;  // per size: the seed that plays seed k
      for (const auto& q : st.runs)
        if (!pick.count(q.N))
          for (int k = 0; k < d.seeds; ++k) pick[q.N].push_back(rng() % d.seeds);
      if (auto a = a_with_seeds(st.runs, pick, loss))
        as.push_back(*a);
      else
        ++failed;
    }
    if (failed <= n_boot / 10 && as.size() > 1) {
      ++seeds_n;
      seeds_cov += quantile(as, 0.025) <= prior.a && prior.a <= quantile(as, 0.975);
    }
    std::vector<Point> runs = st.runs;  // no seed grouping: every run a point
    for (auto& q : runs) q.group.clear(), q.trunk = q.name;
    FitOptions fo;
    fo.n_bootstrap = n_boot, fo.seed = s, fo.n_threads = threads, fo.min_each_side = 2;
    try {
      const FitResult f = fit_approach2(runs, fo);
      if (f.identified) ++runs_n, runs_cov += f.at("a").lo <= prior.a && prior.a <= f.at("a").hi;
    } catch (const std::runtime_error&) {
    }
  }
  out["approach2_seed_resampling"] = {
      {"procedure", "resample each size's seeds (whole trunks) with replacement"},
      {"kept", seeds_n},
      {"coverage", seeds_n ? double(seeds_cov) / seeds_n : NAN}};
  out["approach2_run_resampling"] = {
      {"procedure", "no seed grouping: runs resampled as points within each budget"},
      {"identified", runs_n},
      {"coverage", runs_n ? double(runs_cov) / runs_n : NAN}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
