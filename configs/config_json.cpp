#include "configs/config_json.h"

#include <type_traits>

namespace scalelab {
namespace {

class JsonWriter {
 public:
  explicit JsonWriter(nlohmann::json& j) : j_(j) {}
  template <class T>
  void operator()(const char* name, const T& v) {
    if constexpr (std::is_enum_v<T>)
      j_[name] = to_string(v);
    else
      j_[name] = v;
  }
  template <class S>
  void section(const char* name, S& s) {
    nlohmann::json sub = nlohmann::json::object();
    JsonWriter w(sub);
    s.visit(w);
    j_[name] = sub;
  }

 private:
  nlohmann::json& j_;
};

}  // namespace

nlohmann::json config_to_json(const Config& config) {
  nlohmann::json j = nlohmann::json::object();
  JsonWriter w(j);
  Config copy = config;  // visit() is non-const: it also drives parsing
  copy.visit(w);
  return j;
}

}  // namespace scalelab
