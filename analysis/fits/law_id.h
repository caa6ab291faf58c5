// Every fitted law by name: the keys of fits.json (docs/formats.md). Code names a law by its LawId;
// the string exists only on disk and in messages, so a misspelt law is a compile error rather than
// a figure silently not drawn.
#pragma once

#include <array>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "common/enum_names.h"

namespace scalelab {

enum class LawId {
  chinchilla_approach1,
  chinchilla_approach2,
  chinchilla_approach3,
  kaplan_n,
  kaplan_d,
  kaplan_nd,
  kaplan_c,
  transfer,
  data_constrained,
  multipower
};
template <>
struct EnumNames<LawId> {
  static constexpr std::array<std::pair<LawId, const char*>, 10> values{
      {{LawId::chinchilla_approach1, "chinchilla_approach1"},
       {LawId::chinchilla_approach2, "chinchilla_approach2"},
       {LawId::chinchilla_approach3, "chinchilla_approach3"},
       {LawId::kaplan_n, "kaplan_n"},
       {LawId::kaplan_d, "kaplan_d"},
       {LawId::kaplan_nd, "kaplan_nd"},
       {LawId::kaplan_c, "kaplan_c"},
       {LawId::transfer, "transfer"},
       {LawId::data_constrained, "data_constrained"},
       {LawId::multipower, "multipower"}}};
};

// A law against a name from outside the code (a test, a file): the name is parsed first, so an
// unknown name throws ("law x: expected one of ...") instead of comparing unequal.
inline bool operator==(LawId id, std::string_view name) {
  return id == parse_enum<LawId>(std::string(name), "law");
}
inline bool operator!=(LawId id, std::string_view name) {
  return !(id == name);
}
inline std::ostream& operator<<(std::ostream& os, LawId id) {
  return os << enum_name(id);
}

}  // namespace scalelab
