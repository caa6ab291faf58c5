#include "analysis/inputs/run_tags.h"

#include <cmath>
#include <stdexcept>

namespace scalelab {

std::string tag_text(const Run& r, const std::string& key) {
  if (!r.tags.contains(key)) return "";
  const auto& v = r.tags.at(key);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

bool tag_is(const Run& r, const std::string& key, const std::string& value) {
  return r.tags.contains(key) && r.tags.at(key).is_string() &&
         r.tags.at(key).get<std::string>() == value;
}

std::optional<double> tag_number(const Run& r, const std::string& key) {
  if (!r.tags.contains(key)) return std::nullopt;
  const auto& v = r.tags.at(key);
  double x = NAN;
  if (v.is_number()) {
    x = v.get<double>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    size_t used = 0;
    try {
      x = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != s.size() || s.empty()) x = NAN;
  }
  if (!std::isfinite(x))
    throw std::runtime_error("run " + r.name + ": tags." + key + " = " + v.dump() +
                             " is not a number");
  return x;
}

}  // namespace scalelab
