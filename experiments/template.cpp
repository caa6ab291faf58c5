#include "experiments/template.h"

#include <wordexp.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace scalelab::sweep {
namespace {

// "1.5e+06" -> "1.5e6", "3e-05" -> "3e-5": shorter names, and still valid numbers.
std::string compact_exponent(std::string s) {
  auto e = s.find_first_of("eE");
  if (e == std::string::npos) return s;
  std::string mantissa = s.substr(0, e), exponent = s.substr(e + 1);
  std::string sign;
  if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) {
    if (exponent[0] == '-') sign = "-";
    exponent.erase(0, 1);
  }
  while (exponent.size() > 1 && exponent[0] == '0') exponent.erase(0, 1);
  return mantissa + "e" + sign + exponent;
}

// Collects fields through Config::visit, the same list the YAML reader uses.
class FieldCollector {
 public:
  explicit FieldCollector(Vars& out, std::string prefix = "")
      : out_(out), prefix_(std::move(prefix)) {}
  template <class T>
  void operator()(const char* name, const T& v) {
    out_[prefix_ + name] = text(v);
  }
  template <class S>
  void section(const char* name, S& sub) {
    FieldCollector c(out_, prefix_ + name + ".");
    sub.visit(c);
  }

 private:
  static std::string text(int64_t v) { return std::to_string(v); }
  static std::string text(double v) { return format_number(v); }
  static std::string text(bool v) { return v ? "true" : "false"; }
  static std::string text(const std::string& v) { return v; }
  template <class E>
  static std::string text(E v) {
    return to_string(v);
  }
  Vars& out_;
  std::string prefix_;
};

}  // namespace

std::string format_number(double value) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return std::to_string(value);
  return compact_exponent(std::string(buf, ptr));
}

double parse_number(const std::string& text, const std::string& what) {
  double v = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(v))
    throw std::runtime_error(what + ": expected a number, got '" + text + "'");
  return v;
}

std::string substitute(const std::string& text, const Vars& vars, const std::string& what) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '{') {
      out += text[i++];
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == std::string::npos)
      throw std::runtime_error(what + ": unclosed '{' in '" + text + "'");
    std::string key = text.substr(i + 1, close - i - 1), fmt;
    if (auto colon = key.find(':'); colon != std::string::npos) {
      fmt = key.substr(colon + 1);
      key = key.substr(0, colon);
    }
    auto it = vars.find(key);
    if (it == vars.end()) {
      std::string known;
      for (const auto& [k, v] : vars)
        if (k.rfind("sweep.", 0) == 0 || k.rfind("run.", 0) == 0)
          known += (known.empty() ? "" : ", ") + k;
      throw std::runtime_error(what + ": unknown field '{" + key + "}' in '" + text +
                               "' (use a config field such as model.n_layer, or one of: " + known +
                               ")");
    }
    if (fmt.empty()) {
      out += it->second;
    } else {
      const double v = parse_number(it->second, what + ": {" + key + ":" + fmt + "}");
      char buf[64];
      std::snprintf(buf, sizeof buf, ("%" + fmt).c_str(), v);
      out += compact_exponent(buf);
    }
    i = close + 1;
  }
  return out;
}

std::string expand_env(const std::string& value, const std::string& what) {
  if (value.find('$') == std::string::npos && (value.empty() || value[0] != '~')) return value;
  wordexp_t w;
  const int rc = wordexp(value.c_str(), &w, WRDE_NOCMD);
  if (rc != 0) {
    if (rc == WRDE_NOSPACE) wordfree(&w);
    throw std::runtime_error(what + ": cannot expand '" + value +
                             "' (only ${VAR}, ${VAR:-default} and ~ are supported)");
  }
  std::string out;
  const size_t n = w.we_wordc;
  if (n == 1) out = w.we_wordv[0];
  wordfree(&w);
  if (n != 1)
    throw std::runtime_error(what + ": '" + value + "' expands to " + std::to_string(n) +
                             " words; quote it or avoid spaces");
  return out;
}

Vars config_fields(const Config& config) {
  Vars out;
  FieldCollector c(out);
  const_cast<Config&>(config).visit(c);  // visit() is shared with the reader; nothing is written
  return out;
}

std::string folder_safe(const std::string& name) {
  std::string out = name;
  for (char& ch : out)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-' ||
          ch == '+'))
      ch = '_';
  return out;
}

}  // namespace scalelab::sweep
