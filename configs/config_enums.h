// The YAML names of the config enums: one table per enum (common/enum_names.h).
#pragma once

#include <array>
#include <utility>

#include "common/enum_names.h"
#include "configs/config.h"

namespace scalelab {

template <>
struct EnumNames<Norm> {
  static constexpr std::array<std::pair<Norm, const char*>, 2> values{
      {{Norm::rmsnorm, "rmsnorm"}, {Norm::layernorm, "layernorm"}}};
};
template <>
struct EnumNames<Mlp> {
  static constexpr std::array<std::pair<Mlp, const char*>, 2> values{
      {{Mlp::swiglu, "swiglu"}, {Mlp::gelu, "gelu"}}};
};
template <>
struct EnumNames<PosEncoding> {
  static constexpr std::array<std::pair<PosEncoding, const char*>, 3> values{
      {{PosEncoding::rope, "rope"},
       {PosEncoding::learned, "learned"},
       {PosEncoding::alibi, "alibi"}}};
};
template <>
struct EnumNames<Schedule> {
  static constexpr std::array<std::pair<Schedule, const char*>, 4> values{
      {{Schedule::cosine, "cosine"},
       {Schedule::linear, "linear"},
       {Schedule::constant, "constant"},
       {Schedule::wsd, "wsd"}}};
};
template <>
struct EnumNames<DecayShape> {
  static constexpr std::array<std::pair<DecayShape, const char*>, 2> values{
      {{DecayShape::linear, "linear"}, {DecayShape::one_minus_sqrt, "1-sqrt"}}};
};
template <>
struct EnumNames<Precision> {
  static constexpr std::array<std::pair<Precision, const char*>, 3> values{
      {{Precision::auto_, "auto"}, {Precision::fp32, "fp32"}, {Precision::bf16, "bf16"}}};
};
template <>
struct EnumNames<FlopConvention> {
  static constexpr std::array<std::pair<FlopConvention, const char*>, 5> values{
      {{FlopConvention::six_n, "6n"},
       {FlopConvention::six_n_total, "6n_total"},
       {FlopConvention::litgpt, "litgpt"},
       {FlopConvention::chinchilla, "chinchilla"},
       {FlopConvention::palm, "palm"}}};
};

template <>
struct EnumNames<Parameterization> {
  static constexpr std::array<std::pair<Parameterization, const char*>, 3> values{
      {{Parameterization::standard, "standard"},
       {Parameterization::mup, "mup"},
       {Parameterization::completep, "completep"}}};
};

}  // namespace scalelab
