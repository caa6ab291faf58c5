// One table of names per enum, and the lookups every component uses with it: an enum is parsed
// once (from YAML, a flag or a file) and compared as a value after that, never as a string.
// A component declares `template <> struct EnumNames<MyEnum> { static constexpr std::array<
// std::pair<MyEnum, const char*>, N> values{...}; };` beside its enum.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scalelab {

template <class E>
struct EnumNames;

template <class E>
std::string enum_name(E value) {
  for (const auto& [v, name] : EnumNames<E>::values)
    if (v == value) return name;
  return "?";
}

// "a | b | c", or with another separator ("a, b or c" style lists use ", ").
template <class E>
std::string enum_choices(const char* separator = " | ") {
  std::string out;
  for (const auto& [v, name] : EnumNames<E>::values)
    out += (out.empty() ? "" : separator) + std::string(name);
  return out;
}

template <class E>
std::optional<E> find_enum(std::string_view text) {
  for (const auto& [v, name] : EnumNames<E>::values)
    if (text == name) return v;
  return std::nullopt;
}

// Throws "<what> <text>: expected one of a | b | c" for a name not in the table.
template <class E>
E parse_enum(const std::string& text, const std::string& what) {
  if (auto v = find_enum<E>(text)) return *v;
  throw std::runtime_error(what + " " + text + ": expected one of " + enum_choices<E>());
}

}  // namespace scalelab
