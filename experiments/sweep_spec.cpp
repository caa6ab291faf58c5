// Sweep YAML -> Spec. Only the file's shape is checked here; config keys and values are checked by
// configs/ when the runs are expanded, so a typo gets the same message as in a config file.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "configs/config_enums.h"
#include "configs/yaml_load.h"
#include "common/checked_io.h"
#include "experiments/sweep.h"
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

std::string scalar(const YAML::Node& node, const std::string& origin, const std::string& what) {
  if (!node.IsScalar()) fail(origin, node, what + ": expected a single value");
  return node.Scalar();
}

Assignments scalar_map(const YAML::Node& node, const std::string& origin, const std::string& what) {
  if (!node.IsMap()) fail(origin, node, what + ": expected a map of key: value");
  Assignments out;
  for (const auto& kv : node)
    out.emplace_back(kv.first.Scalar(), scalar(kv.second, origin, what + "." + kv.first.Scalar()));
  return out;
}

std::vector<std::string> scalar_list(const YAML::Node& node, const std::string& origin,
                                     const std::string& what) {
  if (!node.IsSequence()) fail(origin, node, what + ": expected a list of values, e.g. [1, 2, 4]");
  if (node.size() == 0) fail(origin, node, what + ": the list is empty, so the grid has no runs");
  std::vector<std::string> out;
  for (const auto& v : node) out.push_back(scalar(v, origin, what));
  return out;
}

// One `zip:` map: keys whose lists have one common length.
Axis zip_axis(const YAML::Node& node, const std::string& origin) {
  if (!node.IsMap() || node.size() == 0) fail(origin, node, "zip: expected a map of key: [values]");
  Axis axis;
  std::vector<std::vector<std::string>> columns;
  for (const auto& kv : node) {
    axis.keys.push_back(kv.first.Scalar());
    columns.push_back(scalar_list(kv.second, origin, "zip." + kv.first.Scalar()));
    if (columns.back().size() != columns.front().size())
      fail(origin, kv.second,
           "zip: '" + axis.keys.back() + "' has " + std::to_string(columns.back().size()) +
               " values but '" + axis.keys.front() + "' has " +
               std::to_string(columns.front().size()) + "; zipped lists must have equal lengths");
  }
  for (size_t i = 0; i < columns.front().size(); ++i) {
    axis.points.emplace_back();
    for (const auto& c : columns) axis.points.back().push_back(c[i]);
  }
  return axis;
}

Branching read_branching(const YAML::Node& node, const std::string& origin) {
  Branching b;
  if (!node.IsMap())
    fail(origin, node, "branching: expected a map such as {cooldown: 0.2, shape: linear}");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (key != "cooldown" && key != "shape")
      fail(origin, kv.first, "unknown branching key '" + key + "' (known: cooldown, shape)");
  }
  if (const auto c = node["cooldown"]) {
    const std::string text = scalar(c, origin, "branching.cooldown");
    char* end = nullptr;
    b.cooldown = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(b.cooldown > 0 && b.cooldown < 1))
      fail(origin, c,
           "branching.cooldown: " + text + " must be a fraction of each run's steps in (0, 1)");
  }
  if (const auto s = node["shape"]) {
    const std::string text = scalar(s, origin, "branching.shape");
    auto shape = find_enum<DecayShape>(text);
    if (!shape)
      fail(origin, s,
           "branching.shape: '" + text + "' is not one of " + enum_choices<DecayShape>());
    b.shape = *shape;
  }
  return b;
}

// `seeds: K`, a whole number of at least 1.
int read_seeds(const YAML::Node& node, const std::string& origin) {
  const std::string text = scalar(node, origin, "seeds");
  char* end = nullptr;
  const long k = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || k < 1 || k > 10000)
    fail(origin, node,
         "seeds: " + text + ": expected a whole number of seeds per grid point, at least 1");
  return int(k);
}

// Reads the keys a group may carry; `top` says whether file-level keys are allowed too.
Group read_group(const YAML::Node& node, const std::string& origin, const std::string& where,
                 bool top) {
  static const std::set<std::string> group_keys = {"name",   "set",  "grid",      "zip",
                                                   "derive", "tags", "init_from", "seeds"};
  static const std::set<std::string> top_keys = {"base", "out_root", "groups", "branching"};
  Group g;
  g.where = where;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (!group_keys.count(key) && !(top && top_keys.count(key))) {
      std::string known = top ? "base, out_root, groups, branching" : "";
      for (const auto& k : group_keys) known += (known.empty() ? "" : ", ") + k;
      fail(origin, kv.first, "unknown sweep key '" + key + "' (known: " + known + ")");
    }
  }
  if (node["seeds"]) g.seeds = read_seeds(node["seeds"], origin);
  if (node["name"]) g.name = scalar(node["name"], origin, "name");
  if (node["init_from"]) g.init_from = scalar(node["init_from"], origin, "init_from");
  if (node["set"]) g.set = scalar_map(node["set"], origin, "set");
  if (node["tags"]) g.tags = scalar_map(node["tags"], origin, "tags");
  if (const auto grid = node["grid"]) {
    if (!grid.IsMap() || grid.size() == 0)
      fail(origin, grid, "grid: expected a non-empty map of key: [values]");
    for (const auto& kv : grid) g.axes.push_back({{kv.first.Scalar()}, {}});
    size_t i = 0;
    for (const auto& kv : grid) {
      for (const auto& v : scalar_list(kv.second, origin, "grid." + kv.first.Scalar()))
        g.axes[i].points.push_back({v});
      ++i;
    }
  }
  if (const auto zip = node["zip"]) {
    if (zip.IsSequence()) {
      for (const auto& z : zip) g.axes.push_back(zip_axis(z, origin));
    } else {
      g.axes.push_back(zip_axis(zip, origin));
    }
  }
  if (const auto derive = node["derive"]) {
    if (!derive.IsMap()) fail(origin, derive, "derive: expected a map of derivation: {parameters}");
    for (const auto& kv : derive) {
      const std::string name = kv.first.Scalar();
      if (name != "tokens_from_flops" && name != "shape_from_params" &&
          name != "warmup_from_params" && name != "lr_from")
        fail(origin, kv.first,
             "derive: unknown derivation '" + name +
                 "' (known: tokens_from_flops, shape_from_params, warmup_from_params, lr_from)");
      if (name == "lr_from" && kv.second.IsScalar()) {  // `lr_from: hparams.json`
        g.derive[name]["file"] = kv.second.Scalar();
        continue;
      }
      for (const auto& [k, v] : scalar_map(kv.second, origin, "derive." + name))
        g.derive[name][k] = v;
    }
  }
  return g;
}

// A group's keys merged over the top level's: set/tags key by key, derivations whole, axes by key.
Group merge(const Group& top, const Group& group, const std::string& origin) {
  Group g = top;
  g.where = group.where;
  if (!group.name.empty()) g.name = group.name;
  if (!group.init_from.empty()) g.init_from = group.init_from;
  if (group.seeds > 0) g.seeds = group.seeds;
  auto overlay = [](Assignments& into, const Assignments& from) {
    for (const auto& [k, v] : from) {
      auto it = std::find_if(into.begin(), into.end(), [&](const auto& p) { return p.first == k; });
      if (it != into.end())
        it->second = v;
      else
        into.emplace_back(k, v);
    }
  };
  overlay(g.set, group.set);
  overlay(g.tags, group.tags);
  for (const auto& [name, params] : group.derive) g.derive[name] = params;
  for (const auto& axis : group.axes) {
    for (const auto& key : axis.keys) {
      auto it = std::find_if(g.axes.begin(), g.axes.end(), [&](const Axis& a) {
        return std::find(a.keys.begin(), a.keys.end(), key) != a.keys.end();
      });
      if (it == g.axes.end()) continue;
      if (it->keys.size() > 1)
        throw std::runtime_error(
            origin + ": " + group.where + ": '" + key +
            "' is part of a top-level zip; a group cannot replace one key of it");
      g.axes.erase(it);  // the group's values replace the top level's
    }
    g.axes.push_back(axis);
  }
  return g;
}

}  // namespace

Spec parse_spec(const std::string& yaml_text, const std::string& origin, const std::string& dir,
                bool study_file) {
  YAML::Node root = load_yaml(yaml_text, origin);
  if (!root.IsMap())
    throw std::runtime_error(origin + ": expected a map (base:, set:, grid:, ...)");
  if (root["study"] && !study_file)
    fail(origin, root["study"],
         "this file has a study: block: run it with `scalelab study " + origin +
             "` (which trains, brackets, fits and reports it)");
  if (study_file) root.remove("study");  // experiments/study_spec.h reads it
  Spec spec;
  spec.path = origin;
  if (!root["base"])
    throw std::runtime_error(origin + ": missing 'base:' (the config every run starts from)");
  fs::path base = expand_env(scalar(root["base"], origin, "base"), origin + ": base");
  if (base.is_relative()) base = fs::path(dir) / base;
  spec.base_path = base.lexically_normal().string();
  std::ifstream in(spec.base_path);
  if (!in)
    throw std::runtime_error(at(origin, root["base"]) + ": base: cannot read config " +
                             spec.base_path);
  std::stringstream text;
  text << in.rdbuf();
  spec.base_text = text.str();
  if (root["out_root"])
    spec.out_root = expand_env(scalar(root["out_root"], origin, "out_root"), origin + ": out_root");

  if (const auto b = root["branching"]) spec.branching = read_branching(b, origin);
  const Group top = read_group(root, origin, origin, true);
  if (const auto groups = root["groups"]) {
    if (!groups.IsSequence() || groups.size() == 0)
      fail(origin, groups, "groups: expected a non-empty list of groups");
    for (size_t i = 0; i < groups.size(); ++i) {
      if (!groups[i].IsMap())
        fail(origin, groups[i], "groups[" + std::to_string(i) + "]: expected a map");
      const std::string where = origin + ": groups[" + std::to_string(i) + "]";
      spec.groups.push_back(merge(top, read_group(groups[i], origin, where, false), origin));
    }
  } else {
    spec.groups.push_back(top);
  }
  return spec;
}

void apply_sets(Spec& spec, const std::vector<std::string>& sets) {
  for (const auto& assignment : sets) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
      throw std::runtime_error("--set " + assignment + ": expected key.path=value");
    const std::string key = assignment.substr(0, eq), value = assignment.substr(eq + 1);
    if (key.rfind("sweep.", 0) != 0) {
      // The key alone against the base config: an unknown key is the config parser's message.
      // (Values are checked with the whole run, when it is expanded.)
      try {
        parse_config(spec.base_text, spec.base_path, {assignment});
      } catch (const std::exception& e) {
        const std::string what = e.what();
        if (what.find("unknown key") != std::string::npos ||
            what.find("is not a section") != std::string::npos)
          throw std::runtime_error("--set " + assignment + ": " + what);
      }
    }
    for (auto& g : spec.groups) {
      for (const auto& axis : g.axes)
        if (std::find(axis.keys.begin(), axis.keys.end(), key) != axis.keys.end())
          throw std::runtime_error("--set " + assignment + ": " + g.where + " varies '" + key +
                                   "' in its grid or zip, whose values would win; edit the "
                                   "sweep's grid to change them");
      auto it =
          std::find_if(g.set.begin(), g.set.end(), [&](const auto& kv) { return kv.first == key; });
      if (it != g.set.end())
        it->second = value;
      else
        g.set.emplace_back(key, value);
    }
  }
}

Spec load_spec(const std::string& path, bool study_file) {
  return parse_spec(read_text_file(path), path, fs::path(path).parent_path().string(), study_file);
}

}  // namespace scalelab::sweep
