#include "experiments/study_spec.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "common/checked_io.h"
#include "configs/yaml_load.h"
#include "experiments/template.h"

namespace scalelab::sweep {
namespace {

namespace fs = std::filesystem;

std::string at(const std::string& origin, const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.line < 0 ? origin : origin + ":" + std::to_string(mark.line + 1);
}

[[noreturn]] void fail(const std::string& origin, const YAML::Node& node, const std::string& why) {
  throw std::runtime_error(at(origin, node) + ": " + why);
}

void only_keys(const YAML::Node& node, const std::string& origin, const std::string& what,
               const std::set<std::string>& known) {
  if (!node.IsMap()) fail(origin, node, what + ": expected a map");
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  for (const auto& kv : node)
    if (!known.count(kv.first.Scalar()))
      fail(origin, kv.first,
           "unknown " + what + " key '" + kv.first.Scalar() + "' (known: " + list + ")");
}

std::string text(const YAML::Node& node, const std::string& origin, const std::string& what) {
  if (!node.IsScalar() || node.Scalar().empty()) fail(origin, node, what + ": expected a value");
  return node.Scalar();
}

double number(const YAML::Node& node, const std::string& origin, const std::string& what) {
  try {
    return parse_number(text(node, origin, what), what);
  } catch (const std::exception& e) {
    fail(origin, node, e.what());
  }
}

int whole(const YAML::Node& node, const std::string& origin, const std::string& what, int least) {
  const double v = number(node, origin, what);
  if (v != std::floor(v) || v < least || v > 1e6)
    fail(origin, node,
         what + ": " + node.Scalar() + ": expected a whole number, at least " +
             std::to_string(least));
  return int(v);
}

// An explicit rung: {n_layer: 2, n_embd: 32, n_head: 4} or {model.n_layer: 2, ...}.
Assignments rung_shape(const YAML::Node& node, const std::string& origin) {
  if (!node.IsMap() || node.size() == 0)
    fail(origin, node,
         "bracketing.ladder.shapes: each rung is a map such as "
         "{n_layer: 2, n_embd: 32, n_head: 4}");
  Assignments out;
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    if (key.find('.') == std::string::npos) key = "model." + key;
    if (key.rfind("model.", 0) != 0)
      fail(origin, kv.first,
           "bracketing.ladder.shapes: '" + key + "' is not a model field; a rung is a shape");
    out.emplace_back(key, text(kv.second, origin, "bracketing.ladder.shapes." + key));
  }
  return out;
}

LadderSpec read_ladder(const YAML::Node& node, const std::string& origin) {
  only_keys(node, origin, "bracketing.ladder", {"shapes", "sizes", "shape"});
  LadderSpec l;
  l.where = at(origin, node);
  const bool explicit_rungs = bool(node["shapes"]), geometric = bool(node["sizes"]);
  if (explicit_rungs == geometric)
    fail(origin, node,
         "bracketing.ladder: give either shapes: [{n_layer: .., n_embd: .., n_head: ..}, ...] "
         "(every rung, smallest first) or sizes: {from: N0, ratio: r, to: N_max} with shape: "
         "{n_layer: L | aspect_ratio: A, head_dim: h}");
  if (explicit_rungs) {
    const YAML::Node shapes = node["shapes"];
    if (!shapes.IsSequence() || shapes.size() < 2)
      fail(origin, shapes, "bracketing.ladder.shapes: expected a list of at least 2 shapes");
    for (const auto& s : shapes) {
      l.shapes.push_back(rung_shape(s, origin));
      l.rung_at.push_back(at(origin, s));
    }
    if (node["shape"]) fail(origin, node["shape"], "bracketing.ladder.shape: only with sizes:");
    return l;
  }
  const YAML::Node sizes = node["sizes"];
  only_keys(sizes, origin, "bracketing.ladder.sizes", {"from", "ratio", "to"});
  for (const char* k : {"from", "ratio", "to"})
    if (!sizes[k]) fail(origin, sizes, std::string("bracketing.ladder.sizes.") + k + ": missing");
  l.from = number(sizes["from"], origin, "bracketing.ladder.sizes.from");
  l.ratio = number(sizes["ratio"], origin, "bracketing.ladder.sizes.ratio");
  l.to = number(sizes["to"], origin, "bracketing.ladder.sizes.to");
  if (!(l.from > 0)) fail(origin, sizes["from"], "bracketing.ladder.sizes.from: must be positive");
  if (!(l.ratio > 1))
    fail(origin, sizes["ratio"], "bracketing.ladder.sizes.ratio: must be above 1 (N_i = from r^i)");
  if (!(l.to > l.from))
    fail(origin, sizes["to"], "bracketing.ladder.sizes.to: must be above sizes.from");
  if (!node["shape"])
    fail(origin, node,
         "bracketing.ladder.shape: missing (shape_from_params' parameters: n_layer or "
         "aspect_ratio, head_dim, tolerance)");
  only_keys(node["shape"], origin, "bracketing.ladder.shape",
            {"n_layer", "aspect_ratio", "head_dim", "tolerance"});
  for (const auto& kv : node["shape"])
    l.shape[kv.first.Scalar()] =
        text(kv.second, origin, "bracketing.ladder.shape." + kv.first.Scalar());
  return l;
}

BracketingSpec read_bracketing(const YAML::Node& node, const std::string& origin) {
  only_keys(node, origin, "study.bracketing", {"each_side", "max_added", "ladder"});
  BracketingSpec b;
  b.enabled = true;
  b.where = at(origin, node);
  if (node["each_side"])
    b.each_side = whole(node["each_side"], origin, "study.bracketing.each_side", 1);
  if (!node["max_added"])
    fail(origin, node,
         "study.bracketing.max_added: missing (the most sizes bracketing may add to one budget "
         "before naming it unbracketed)");
  const double cap = number(node["max_added"], origin, "study.bracketing.max_added");
  if (cap < 1 || cap != std::floor(cap))
    fail(origin, node["max_added"],
         "study.bracketing.max_added: " + node["max_added"].Scalar() +
             ": expected a whole number of sizes, at least 1 (to train the design as written, "
             "leave out bracketing:)");
  b.max_added = int(cap);
  if (!node["ladder"])
    fail(origin, node, "study.bracketing.ladder: missing (the shape rule for the next size)");
  b.ladder = read_ladder(node["ladder"], origin);
  return b;
}

PowerSpec read_power(const YAML::Node& node, const std::string& origin) {
  only_keys(node, origin, "study.power", {"prior", "noise", "repeats", "seed"});
  PowerSpec p;
  if (const auto prior = node["prior"]) {
    only_keys(prior, origin, "study.power.prior", {"law", "E", "A", "alpha", "B", "beta"});
    if (prior["law"] && prior["law"].Scalar() != "chinchilla")
      fail(origin, prior["law"],
           "study.power.prior.law: '" + prior["law"].Scalar() +
               "': the prior is a Chinchilla law (L = E + A / N^alpha + B / D^beta)");
    for (const char* k : {"E", "A", "alpha", "B", "beta"}) {
      if (!prior[k]) fail(origin, prior, std::string("study.power.prior.") + k + ": missing");
      p.prior[k] = number(prior[k], origin, std::string("study.power.prior.") + k);
      if (!(p.prior[k] > 0))
        fail(origin, prior[k], std::string("study.power.prior.") + k + ": must be positive");
    }
  }
  if (const auto noise = node["noise"]) {
    only_keys(noise, origin, "study.power.noise", {"sd_coef", "sd_exponent", "trunk_correlation"});
    if (noise["sd_coef"]) p.sd_coef = number(noise["sd_coef"], origin, "study.power.noise.sd_coef");
    if (noise["sd_exponent"])
      p.sd_exponent = number(noise["sd_exponent"], origin, "study.power.noise.sd_exponent");
    if (noise["trunk_correlation"])
      p.trunk_correlation =
          number(noise["trunk_correlation"], origin, "study.power.noise.trunk_correlation");
    if (!(p.sd_coef >= 0)) fail(origin, noise, "study.power.noise.sd_coef: must be at least 0");
    if (!(p.trunk_correlation >= 0 && p.trunk_correlation <= 1))
      fail(origin, noise, "study.power.noise.trunk_correlation: must lie in [0, 1]");
  }
  if (node["repeats"]) p.repeats = whole(node["repeats"], origin, "study.power.repeats", 2);
  if (node["seed"]) p.seed = uint64_t(whole(node["seed"], origin, "study.power.seed", 0));
  return p;
}

void read_study_block(const YAML::Node& s, const std::string& origin, StudySpec& out) {
  only_keys(s, origin, "study",
            {"claim", "laws", "headline", "params", "bootstrap", "bracketing", "power"});
  if (!s["claim"])
    fail(origin, s, "study.claim: missing (one sentence: what the study sets out to measure)");
  out.claim = text(s["claim"], origin, "study.claim");
  if (!s["laws"] || !s["laws"].IsSequence() || s["laws"].size() == 0)
    fail(origin, s["laws"] ? s["laws"] : s,
         "study.laws: expected a list of the laws to fit, e.g. [approach2, chinchilla]");
  for (const auto& l : s["laws"])
    out.laws.push_back({text(l, origin, "study.laws"), at(origin, l)});
  if (!s["headline"])
    fail(origin, s, "study.headline: missing ({law: one of study.laws, why: \"...\"})");
  only_keys(s["headline"], origin, "study.headline", {"law", "why"});
  if (!s["headline"]["law"] || !s["headline"]["why"])
    fail(origin, s["headline"], "study.headline: give law: (one of study.laws) and why:");
  out.headline = {text(s["headline"]["law"], origin, "study.headline.law"),
                  at(origin, s["headline"]["law"])};
  out.headline_why = text(s["headline"]["why"], origin, "study.headline.why");
  bool listed = false;
  for (const auto& l : out.laws) listed = listed || l.name == out.headline.name;
  if (!listed)
    fail(origin, s["headline"]["law"],
         "study.headline.law: '" + out.headline.name + "' is not one of study.laws");
  if (s["params"]) {
    out.params_counted = text(s["params"], origin, "study.params");
    if (out.params_counted == "non-embedding") out.params_counted = "non_embedding";
    if (out.params_counted != "total" && out.params_counted != "non_embedding")
      fail(origin, s["params"], "study.params: expected total or non_embedding");
  }
  if (const auto b = s["bootstrap"]) {
    only_keys(b, origin, "study.bootstrap", {"resamples", "max_failed_share", "seed"});
    if (b["resamples"])
      out.bootstrap = whole(b["resamples"], origin, "study.bootstrap.resamples", 0);
    if (b["max_failed_share"]) {
      out.max_failed_share =
          number(b["max_failed_share"], origin, "study.bootstrap.max_failed_share");
      if (!(out.max_failed_share >= 0 && out.max_failed_share < 1))
        fail(origin, b["max_failed_share"], "study.bootstrap.max_failed_share: must lie in [0, 1)");
    }
    if (b["seed"])
      out.bootstrap_seed = uint64_t(whole(b["seed"], origin, "study.bootstrap.seed", 0));
  }
  if (s["bracketing"]) out.bracketing = read_bracketing(s["bracketing"], origin);
  if (s["power"]) out.power = read_power(s["power"], origin);
}

}  // namespace

StudySpec parse_study(const std::string& yaml_text, const std::string& origin,
                      const std::string& dir) {
  const YAML::Node root = load_yaml(yaml_text, origin);
  if (!root.IsMap() || !root["study"])
    throw std::runtime_error(
        origin +
        ": missing 'study:' (claim, laws, headline, ...); a file without it is an "
        "ordinary sweep (scalelab sweep)");
  StudySpec out;
  out.path = origin;
  read_study_block(root["study"], origin, out);
  out.sweep = parse_spec(yaml_text, origin, dir, /*study_file=*/true);
  for (const auto& g : out.sweep.groups)
    if (g.seeds < 1)
      throw std::runtime_error(g.where +
                               ": a study states its seeds: add seeds: K at the top of the file "
                               "(or in every group)");
  return out;
}

StudySpec load_study(const std::string& path) {
  return parse_study(read_text_file(path), path, fs::path(path).parent_path().string());
}

}  // namespace scalelab::sweep
