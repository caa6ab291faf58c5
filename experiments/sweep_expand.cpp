// Spec -> runs: the product of each group's axes, the overrides through configs' parser (so an
// unknown key is the same error as in a config file), derived fields, names, tags and parents.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "experiments/branching.h"
#include "experiments/derive.h"
#include "experiments/seeds.h"
#include "experiments/sweep.h"
#include "experiments/template.h"
#include "core/budget.h"

namespace scalelab::sweep {
namespace {

bool is_sweep_var(const std::string& key) {
  return key.rfind("sweep.", 0) == 0;
}

std::string describe(const Assignments& point) {
  std::string s;
  for (const auto& [k, v] : point) s += (s.empty() ? "" : ", ") + k + "=" + v;
  return s.empty() ? "the base config" : s;
}

// Default run name: each axis key's last component and its value, e.g. "n_layer2-n_embd32".
std::string default_name(const Group& g) {
  std::string name;
  for (const auto& axis : g.axes)
    for (const auto& key : axis.keys) {
      const std::string leaf = key.substr(key.rfind('.') + 1);
      name += (name.empty() ? "" : "-") + leaf + "{" + key + "}";
    }
  return name.empty() ? "run" : name;
}

Config parse(const Spec& spec, const Assignments& overrides, const std::string& where) {
  std::vector<std::string> sets;
  for (const auto& [k, v] : overrides) sets.push_back(k + "=" + v);
  try {
    return parse_config(spec.base_text, spec.base_path, sets);
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
}

Params resolve(const std::map<std::string, std::string>& params, const Vars& vars,
               const std::string& what) {
  Params out;
  for (const auto& [k, v] : params) {
    std::string text = v;
    // A bare key path reads as that field: `flops: sweep.flops` is `flops: "{sweep.flops}"`.
    if (text.find('{') == std::string::npos && vars.count(text)) text = "{" + text + "}";
    out[k] = substitute(text, vars, what + "." + k);
  }
  return out;
}

// One grid point of one group -> a run (name and parent still unchecked); `seed` >= 0 makes it
// that seed's run of the point (experiments/seeds.h).
Run make_run(const Spec& spec, const Group& g, const Assignments& point, int index, int seed) {
  const std::string where =
      g.where + ": run " + std::to_string(index) + " (" + describe(point) + ")";
  Assignments all = g.set;
  all.insert(all.end(), point.begin(), point.end());
  Vars vars;
  Assignments overrides;
  bool sets_budget = false;
  for (const auto& [k, raw] : all) {
    const std::string v = expand_env(raw, where + ": " + k);
    if (is_sweep_var(k)) {
      vars[k] = v;
      continue;
    }
    sets_budget = sets_budget || k == "train.steps" || k == "train.tokens" || k == "train.flops";
    overrides.emplace_back(k, v);
  }
  // A sweep that sets one budget field replaces the base's budget instead of adding a second one.
  if (sets_budget) {
    Assignments cleared = {{"train.steps", "0"}, {"train.tokens", "0"}, {"train.flops", "0"}};
    overrides.insert(overrides.begin(), cleared.begin(), cleared.end());
  }

  Run run;
  run.group = g.where;
  run.point = point;
  run.config = parse(spec, overrides, where);
  if (seed > 0) {  // train.seed = the point's seed + i; seed 0 keeps the point's config as it is
    overrides.emplace_back("train.seed", std::to_string(run.config.train.seed + uint64_t(seed)));
    run.config = parse(spec, overrides, where);
  }
  auto with_config = [&](const Config& c) {
    Vars v = config_fields(c);
    for (const auto& kv : vars) v[kv.first] = kv.second;
    return v;
  };
  if (g.derive.count("shape_from_params")) {
    const std::string what = where + ": derive.shape_from_params";
    auto params = resolve(g.derive.at("shape_from_params"), with_config(run.config), what);
    auto extra = derive_shape(run.config.model, params, what);
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    run.config = parse(spec, overrides, where);
  }
  if (g.derive.count("tokens_from_flops")) {
    const std::string what = where + ": derive.tokens_from_flops";
    auto params = resolve(g.derive.at("tokens_from_flops"), with_config(run.config), what);
    auto extra = derive_tokens(run.config, params, what, &run.budget);
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    run.config = parse(spec, overrides, where);
  }

  // The warmup and the lr come last: both depend on the model's size and the batch.
  if (g.derive.count("warmup_from_params")) {
    const std::string what = where + ": derive.warmup_from_params";
    auto params = resolve(g.derive.at("warmup_from_params"), with_config(run.config), what);
    auto extra = derive_warmup(run.config, params, what);
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    run.config = parse(spec, overrides, where);
  }
  if (g.derive.count("lr_from")) {
    const std::string what = where + ": derive.lr_from";
    auto params = resolve(g.derive.at("lr_from"), with_config(run.config), what);
    // An explicit warmup_from_params wins over the tuned warmup.
    if (g.derive.count("warmup_from_params") && !params.count("warmup")) params["warmup"] = "keep";
    auto extra = derive_lr(run.config, params, what);
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    run.config = parse(spec, overrides, where);
  }

  const Config& c = run.config;
  run.params = count_params(c.model);
  try {
    run.steps = budget_steps(c);
  } catch (const std::exception& e) {
    throw std::runtime_error(where + ": " + e.what());
  }
  run.tokens = double(run.steps) * double(c.train.batch_size) * double(c.model.block_size);
  run.flops = run.tokens * training_flops_per_token(c.model, c.train.flop_convention);

  vars = with_config(c);
  vars["run.index"] = std::to_string(index);
  vars["run.params"] = std::to_string(run.params.total);
  vars["run.params_non_embedding"] = std::to_string(run.params.non_embedding);
  vars["run.steps"] = std::to_string(run.steps);
  vars["run.tokens"] = format_number(run.tokens);
  vars["run.flops"] = format_number(run.flops);
  if (run.budget > 0) vars["run.budget"] = format_number(run.budget);
  if (vars.count("sweep.gpus_per_run")) {
    const double k = parse_number(vars["sweep.gpus_per_run"], where + ": sweep.gpus_per_run");
    if (k < 1 || k != std::floor(k))
      throw std::runtime_error(where + ": sweep.gpus_per_run: expected a positive integer");
    run.gpus_per_run = static_cast<int>(k);
  }
  run.name =
      folder_safe(substitute(g.name.empty() ? default_name(g) : g.name, vars, where + ": name"));
  for (const auto& [k, v] : g.tags)
    run.tags.emplace_back(k, substitute(v, vars, where + ": tags." + k));
  if (!g.init_from.empty())
    run.parent = folder_safe(substitute(g.init_from, vars, where + ": init_from"));
  run.family = g.family;
  if (seed >= 0) mark_seed(run, seed);
  return run;
}

// Cartesian product of the axes, first axis slowest.
std::vector<Assignments> points_of(const Group& g) {
  std::vector<Assignments> out;
  std::vector<size_t> idx(g.axes.size(), 0);
  while (true) {
    Assignments p;
    for (size_t a = 0; a < g.axes.size(); ++a)
      for (size_t k = 0; k < g.axes[a].keys.size(); ++k)
        p.emplace_back(g.axes[a].keys[k], g.axes[a].points[idx[a]][k]);
    out.push_back(p);
    size_t a = g.axes.size();
    while (a > 0 && ++idx[a - 1] == g.axes[a - 1].points.size()) idx[--a] = 0;
    if (a == 0) break;
  }
  return out;
}

bool same_shape(const ModelConfig& a, const ModelConfig& b) {
  return a.n_layer == b.n_layer && a.n_embd == b.n_embd && a.n_head == b.n_head &&
         a.kv_heads() == b.kv_heads() && a.ffn_dim() == b.ffn_dim() &&
         a.padded_vocab() == b.padded_vocab() && a.mlp == b.mlp && a.norm == b.norm &&
         a.pos == b.pos && a.tie_embeddings == b.tie_embeddings &&
         (a.pos != PosEncoding::learned || a.block_size == b.block_size);
}

// Warns when a run asks for more tokens than its dataset holds (it would repeat data).
void check_dataset_sizes(std::vector<Run>& runs) {
  std::map<std::string, double> train_tokens;
  for (auto& r : runs) {
    const std::string& path = r.config.data.path;
    if (!train_tokens.count(path)) {
      train_tokens[path] = 0;
      std::ifstream in(std::filesystem::path(path) / "manifest.json");
      if (in) {
        auto j = nlohmann::json::parse(in, nullptr, false);
        if (!j.is_discarded()) train_tokens[path] = j.value("n_train_tokens", 0.0);
      }
    }
    const double n = train_tokens[path], U = r.config.data.unique_tokens;
    if (U > 0) {  // a limited-data run repeats its U tokens on purpose; U must exist, though
      if (n > 0 && U > n)
        throw std::runtime_error("run " + r.name + ": data.unique_tokens = " + format_number(U) +
                                 " is more than the train split of " + path + " holds (" +
                                 format_number(n) + " tokens)");
      continue;
    }
    if (n > 0 && r.tokens > n)
      r.warnings.push_back("D = " + format_number(r.tokens) + " tokens is " +
                           format_number(std::round(10 * r.tokens / n) / 10) + " epochs of " +
                           path + " (data repeats)");
  }
}

}  // namespace

std::vector<Run> expand(const Spec& spec) {
  std::vector<Run> runs;
  for (const auto& g : spec.groups)
    for (const auto& point : points_of(g)) {
      if (g.seeds == 0) runs.push_back(make_run(spec, g, point, int(runs.size()), -1));
      for (int i = 0; i < g.seeds; ++i)
        runs.push_back(make_run(spec, g, point, int(runs.size()), i));
    }
  if (runs.empty()) throw std::runtime_error(spec.path + ": the sweep has no runs");

  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    if (r.name.empty() || r.name == "." || r.name == "..")
      throw std::runtime_error(
          r.group + ": run " + std::to_string(i) + " (" + describe(r.point) + ") has the name '" +
          r.name + "'; set name: to a template such as \"l{model.n_layer}-d{model.n_embd}\"");
    auto [it, fresh] = by_name.emplace(r.name, i);
    if (!fresh)
      throw std::runtime_error(spec.path + ": runs " + std::to_string(it->second) + " (" +
                               describe(runs[it->second].point) + ") and " + std::to_string(i) +
                               " (" + describe(r.point) + ") are both named '" + r.name +
                               "'; add the field that tells them apart to name:");
  }
  for (auto& r : runs) {
    if (r.parent.empty()) continue;
    match_seeded_parent(r, [&](const std::string& name) { return by_name.count(name) > 0; });
    auto it = by_name.find(r.parent);
    if (it == by_name.end())
      throw std::runtime_error(r.group + ": run '" + r.name + "': init_from names '" + r.parent +
                               "', which is not a run of this sweep");
    const Run& p = runs[it->second];
    if (!same_shape(p.config.model, r.config.model))
      throw std::runtime_error(
          r.group + ": run '" + r.name + "': init_from '" + r.parent +
          "' has a different model shape (N = " + std::to_string(p.params.total) + " vs " +
          std::to_string(r.params.total) + "); its weights cannot start this run");
  }
  // Levels: parents first. A chain longer than the number of runs is a cycle.
  for (auto& r : runs) {
    const Run* p = &r;
    int level = 0;
    while (!p->parent.empty()) {
      p = &runs[by_name[p->parent]];
      if (++level > int(runs.size()))
        throw std::runtime_error(spec.path + ": init_from forms a cycle through run '" + r.name +
                                 "'");
    }
    r.level = level;
  }
  std::stable_sort(runs.begin(), runs.end(),
                   [](const Run& a, const Run& b) { return a.level < b.level; });
  if (spec.branching) apply_branching(*spec.branching, runs);
  tag_trunks(runs);
  check_dataset_sizes(runs);
  return runs;
}

}  // namespace scalelab::sweep
