#include "experiments/tune_spec.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/checked_io.h"
#include "configs/yaml_load.h"
#include "experiments/template.h"

namespace scalelab::sweep {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& origin, const YAML::Node& node, const std::string& why) {
  const auto mark = node.Mark();
  throw std::runtime_error((mark.line < 0 ? origin : origin + ":" + std::to_string(mark.line + 1)) +
                           ": " + why);
}

std::vector<double> numbers(const YAML::Node& node, const std::string& origin,
                            const std::string& key) {
  if (!node.IsSequence() || node.size() == 0)
    fail(origin, node, key + ": expected a list of numbers, e.g. [1e-3, 3e-3, 1e-2]");
  std::vector<double> out;
  for (const auto& v : node) {
    if (!v.IsScalar()) fail(origin, v, key + ": expected a number");
    out.push_back(parse_number(v.Scalar(), origin + ": " + key));
  }
  return out;
}

std::string joined(const std::vector<double>& v) {
  std::string s;
  for (double x : v) s += (s.empty() ? "" : ", ") + format_number(x);
  return s;
}

// The keys a sweep's own grid or zip varies (so the tune does not vary them twice).
std::set<std::string> varied_keys(const YAML::Node& root) {
  std::set<std::string> keys;
  if (root["grid"] && root["grid"].IsMap())
    for (const auto& kv : root["grid"]) keys.insert(kv.first.Scalar());
  auto zip_keys = [&](const YAML::Node& z) {
    if (z.IsMap())
      for (const auto& kv : z) keys.insert(kv.first.Scalar());
  };
  if (const auto z = root["zip"]) {
    if (z.IsSequence())
      for (const auto& m : z) zip_keys(m);
    else
      zip_keys(z);
  }
  return keys;
}

}  // namespace

TuneSpec parse_tune(const std::string& yaml_text, const std::string& origin,
                    const std::string& dir) {
  const YAML::Node root = load_yaml(yaml_text, origin);
  if (!root.IsMap()) throw std::runtime_error(origin + ": expected a map (base:, tune:, ...)");
  const YAML::Node tune = root["tune"];
  if (!tune || !tune.IsMap())
    throw std::runtime_error(origin +
                             ": missing 'tune:' (e.g. tune: {lr: [1e-3, 3e-3, 1e-2]}); a file "
                             "without it is an ordinary sweep (scalelab sweep)");
  static const std::set<std::string> known = {
      "lr", "batch_size", "beta2", "count", "warmup_tokens_per_param", "min_lr_ratio"};
  for (const auto& kv : tune)
    if (!known.count(kv.first.Scalar()))
      fail(origin, kv.first,
           "unknown tune key '" + kv.first.Scalar() +
               "' (known: lr, batch_size, beta2, count, warmup_tokens_per_param, min_lr_ratio)");
  TuneSpec t;
  if (!tune["lr"]) fail(origin, tune, "tune.lr: missing (the peak learning rates to try)");
  t.lr = numbers(tune["lr"], origin, "tune.lr");
  const std::set<double> distinct(t.lr.begin(), t.lr.end());
  if (distinct.size() < 3)
    fail(origin, tune["lr"],
         "tune.lr: " + std::to_string(distinct.size()) + " distinct learning rate(s) (" +
             joined(t.lr) + "); a parabola in log(lr) needs at least 3");
  if (distinct.size() != t.lr.size()) fail(origin, tune["lr"], "tune.lr: a value is repeated");
  for (double v : t.lr)
    if (!(v > 0)) fail(origin, tune["lr"], "tune.lr: " + format_number(v) + " is not positive");
  if (tune["batch_size"]) {
    t.batch_size = numbers(tune["batch_size"], origin, "tune.batch_size");
    for (double v : t.batch_size)
      if (!(v >= 1) || v != std::floor(v))
        fail(origin, tune["batch_size"],
             "tune.batch_size: " + format_number(v) + " is not a positive whole number");
  }
  if (tune["beta2"]) {
    t.beta2 = numbers(tune["beta2"], origin, "tune.beta2");
    for (double v : t.beta2)
      if (!(v >= 0 && v < 1))
        fail(origin, tune["beta2"], "tune.beta2: " + format_number(v) + " is not in [0, 1)");
  }
  t.params_counted = tune["count"] ? tune["count"].Scalar() : "total";
  if (t.params_counted == "non-embedding") t.params_counted = "non_embedding";
  if (t.params_counted != "total" && t.params_counted != "non_embedding")
    fail(origin, tune["count"],
         "tune.count: expected total or non_embedding, got '" + t.params_counted + "'");
  if (tune["warmup_tokens_per_param"]) {
    t.warmup_tokens_per_param = parse_number(tune["warmup_tokens_per_param"].Scalar(),
                                             origin + ": tune.warmup_tokens_per_param");
    if (!(t.warmup_tokens_per_param >= 0))
      fail(origin, tune["warmup_tokens_per_param"], "tune.warmup_tokens_per_param: must be >= 0");
  }
  double min_lr_ratio = 0.1;
  if (tune["min_lr_ratio"]) {
    min_lr_ratio = parse_number(tune["min_lr_ratio"].Scalar(), origin + ": tune.min_lr_ratio");
    if (!(min_lr_ratio >= 0 && min_lr_ratio <= 1))
      fail(origin, tune["min_lr_ratio"], "tune.min_lr_ratio: must lie in [0, 1]");
  }
  const std::set<std::string> varied = varied_keys(root);
  for (const char* key : {"optim.lr", "optim.min_lr", "train.batch_size", "optim.beta2"})
    if (varied.count(key))
      throw std::runtime_error(origin + ": the grid varies " + key +
                               "; give the values in tune: instead (tune.lr, tune.batch_size, "
                               "tune.beta2)");

  // The sweep: the file without tune:, base made absolute, the tune's axes added fastest.
  YAML::Node sweep = YAML::Clone(root);
  sweep.remove("tune");
  if (!sweep["base"]) throw std::runtime_error(origin + ": missing 'base:'");
  fs::path base = expand_env(sweep["base"].Scalar(), origin + ": base");
  if (base.is_relative()) base = fs::path(dir) / base;
  sweep["base"] = fs::absolute(base).lexically_normal().string();
  if (sweep["out_root"]) t.out_root = expand_env(sweep["out_root"].Scalar(), origin + ": out_root");
  auto as_strings = [](const std::vector<double>& v) {
    std::vector<std::string> s;
    for (double x : v) s.push_back(format_number(x));
    return s;
  };
  if (!t.beta2.empty()) sweep["grid"]["optim.beta2"] = as_strings(t.beta2);
  if (!t.batch_size.empty()) sweep["grid"]["train.batch_size"] = as_strings(t.batch_size);
  YAML::Node lr_zip;
  lr_zip["optim.lr"] = as_strings(t.lr);
  std::vector<double> min_lr;
  for (double v : t.lr) min_lr.push_back(v * min_lr_ratio);
  lr_zip["optim.min_lr"] = as_strings(min_lr);
  YAML::Node zips(YAML::NodeType::Sequence);
  if (const auto z = sweep["zip"]) {
    // Clones: the sweep's own zip node is replaced below, so it must not be referenced.
    if (z.IsSequence())
      for (const auto& m : z) zips.push_back(YAML::Clone(m));
    else
      zips.push_back(YAML::Clone(z));
  }
  zips.push_back(lr_zip);
  sweep["zip"] = zips;
  if (t.warmup_tokens_per_param > 0 &&
      !(sweep["derive"] && sweep["derive"]["warmup_from_params"])) {
    sweep["derive"]["warmup_from_params"]["tokens_per_param"] =
        format_number(t.warmup_tokens_per_param);
    sweep["derive"]["warmup_from_params"]["count"] = t.params_counted;
  }
  sweep["tags"][kTuneLrTag] = "{optim.lr}";
  sweep["tags"][kTuneBatchTag] = "{train.batch_size}";
  sweep["tags"][kTuneBlockTag] = "{model.block_size}";
  sweep["tags"][kTuneBeta2Tag] = "{optim.beta2}";
  if (sweep["name"]) {
    std::string name = sweep["name"].Scalar();
    if (name.find("{optim.lr") == std::string::npos) name += "-lr{optim.lr}";
    if (!t.batch_size.empty() && name.find("{train.batch_size") == std::string::npos)
      name += "-b{train.batch_size}";
    if (!t.beta2.empty() && name.find("{optim.beta2") == std::string::npos)
      name += "-beta2{optim.beta2}";
    sweep["name"] = name;
  }
  YAML::Emitter out;
  out << sweep;
  t.sweep_yaml = "# Written by `scalelab tune " + origin + "`: its grid as a sweep file.\n" +
                 std::string(out.c_str()) + "\n";
  return t;
}

TuneSpec load_tune(const std::string& path) {
  return parse_tune(read_text_file(path), path, fs::path(path).parent_path().string());
}

}  // namespace scalelab::sweep
