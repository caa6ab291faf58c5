// YAML <-> Config through each struct's visit(): one list of fields drives parsing, unknown-key
// detection and emitting.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "configs/config.h"
#include "configs/config_enums.h"
#include "configs/yaml_load.h"

namespace scalelab {
namespace {

std::string where(const std::string& origin, const YAML::Node& node) {
  auto mark = node.Mark();
  if (mark.line < 0) return origin;
  return origin + ":" + std::to_string(mark.line + 1);
}

// Reads one section's fields from a YAML map, remembering which keys it knew.
class FieldReader {
 public:
  FieldReader(const YAML::Node& map, std::string prefix, std::string origin)
      : map_(map), prefix_(std::move(prefix)), origin_(std::move(origin)) {}

  template <class T>
  void operator()(const char* name, T& field) {
    known_.insert(name);
    YAML::Node node = map_[name];
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsScalar())
      fail(node, name,
           "expected a single value, got a " + std::string(node.IsMap() ? "map" : "list"));
    read(node, name, node.Scalar(), field);
  }

  template <class S>
  void section(const char* name, S& sub) {
    known_.insert(name);
    YAML::Node node = map_[name];
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsMap()) fail(node, name, "expected a map of settings");
    FieldReader reader(node, prefix_ + name + ".", origin_);
    sub.visit(reader);
    reader.reject_unknown();
  }

  void reject_unknown() const {
    for (const auto& kv : map_) {
      auto key = kv.first.as<std::string>();
      if (known_.count(key)) continue;
      std::string list;
      for (auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      throw ConfigError(where(origin_, kv.first) + ": unknown key '" + prefix_ + key +
                        "' (known: " + list + ")");
    }
  }

 private:
  [[noreturn]] void fail(const YAML::Node& node, const char* name, const std::string& why) const {
    throw ConfigError(where(origin_, node) + ": " + prefix_ + name + ": " + why);
  }

  void read(const YAML::Node& node, const char* name, const std::string& s, int64_t& out) {
    // Integers may be written as 1e6; the value must still be integral.
    double d = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc() || ptr != s.data() + s.size() || d != std::floor(d) || std::abs(d) > 9e18)
      fail(node, name, "expected an integer, got '" + s + "'");
    out = static_cast<int64_t>(d);
  }
  void read(const YAML::Node& node, const char* name, const std::string& s, double& out) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(out))
      fail(node, name, "expected a number, got '" + s + "'");
  }
  void read(const YAML::Node& node, const char* name, const std::string& s, bool& out) {
    if (s == "true" || s == "yes" || s == "on")
      out = true;
    else if (s == "false" || s == "no" || s == "off")
      out = false;
    else
      fail(node, name, "expected true or false, got '" + s + "'");
  }
  void read(const YAML::Node&, const char*, const std::string& s, std::string& out) { out = s; }
  template <class E>
  void read(const YAML::Node& node, const char* name, const std::string& s, E& out) {
    for (auto& [v, n] : EnumNames<E>::values)
      if (s == n) {
        out = v;
        return;
      }
    fail(node, name, "expected one of " + enum_choices<E>() + ", got '" + s + "'");
  }

  YAML::Node map_;
  std::string prefix_;
  std::string origin_;
  std::set<std::string> known_;
};

class FieldWriter {
 public:
  explicit FieldWriter(YAML::Emitter& out) : out_(out) {}
  template <class T>
  void operator()(const char* name, const T& field) {
    out_ << YAML::Key << name << YAML::Value << text(field);
  }
  template <class S>
  void section(const char* name, S& sub) {
    out_ << YAML::Key << name << YAML::Value << YAML::BeginMap;
    sub.visit(*this);
    out_ << YAML::EndMap;
  }

 private:
  static std::string text(int64_t v) { return std::to_string(v); }
  static std::string text(bool v) { return v ? "true" : "false"; }
  static std::string text(const std::string& v) { return v; }
  static std::string text(double v) {
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    std::string s(buf, ptr);
    // Keep it a YAML number that reads back as a float, e.g. "1e+21" or "3.0".
    if (s.find_first_of(".en") == std::string::npos) s += ".0";
    return s;
  }
  template <class E>
  static std::string text(E v) {
    return enum_name(v);
  }
  YAML::Emitter& out_;
};

void apply_override(YAML::Node& root, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected key.path=value");
  std::string path = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  std::vector<std::string> keys;
  std::stringstream ss(path);
  for (std::string k; std::getline(ss, k, '.');) {
    if (k.empty()) throw ConfigError("--set " + assignment + ": empty key in '" + path + "'");
    keys.push_back(k);
  }
  // Walk with fresh handles: yaml-cpp's operator= on a Node handle would overwrite the node.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    YAML::Node child = chain.back()[keys[i]];
    if (child.IsDefined() && !child.IsNull() && !child.IsMap())
      throw ConfigError("--set " + assignment + ": '" + keys[i] + "' is not a section");
    chain.push_back(child);
  }
  chain.back()[keys.back()] = value;
}

}  // namespace

YAML::Node load_yaml(const std::string& text, const std::string& origin) {
  try {
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) +
                      ": malformed YAML: maps or lists nested " + std::to_string(e.depth()) +
                      " levels deep or more, past what yaml-cpp reads (a config's sections are 2 "
                      "deep)");
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) +
                      ": malformed YAML: " + e.msg);
  }
}

std::string to_string(Norm v) {
  return enum_name(v);
}
std::string to_string(Mlp v) {
  return enum_name(v);
}
std::string to_string(PosEncoding v) {
  return enum_name(v);
}
std::string to_string(DecayShape v) {
  return enum_name(v);
}
std::string to_string(Schedule v) {
  return enum_name(v);
}
std::string to_string(Precision v) {
  return enum_name(v);
}
std::string to_string(FlopConvention v) {
  return enum_name(v);
}
std::string to_string(Parameterization v) {
  return enum_name(v);
}

Config parse_config(const std::string& yaml_text, const std::string& origin,
                    const std::vector<std::string>& overrides) {
  YAML::Node root = load_yaml(yaml_text, origin);
  if (root.IsNull() || !root.IsDefined()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap())
    throw ConfigError(origin + ": expected a map of sections (model:, train:, ...)");
  for (const auto& o : overrides) apply_override(root, o);
  Config config;
  FieldReader reader(root, "", origin);
  config.visit(reader);
  reader.reject_unknown();
  validate(config);
  return config;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot read config file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, overrides);
}

std::string to_yaml(const Config& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  FieldWriter writer(out);
  const_cast<Config&>(config).visit(
      writer);  // visit() is shared with the reader; nothing is written
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace scalelab
