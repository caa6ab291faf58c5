#include "experiments/ladder.h"

#include <cmath>
#include <stdexcept>

#include "core/counts.h"
#include "experiments/derive.h"
#include "experiments/template.h"

namespace scalelab::sweep {
namespace {

std::string describe(const Assignments& shape) {
  std::string s;
  for (const auto& [k, v] : shape)
    s += (s.empty() ? "" : ", ") + k.substr(k.find('.') + 1) + " " + v;
  return s;
}

Rung make_rung(const Assignments& shape, const Config& reference, const std::string& count,
               const std::string& what) {
  std::vector<std::string> sets;
  for (const auto& [k, v] : shape) sets.push_back(k + "=" + v);
  Config c;
  try {
    c = parse_config(to_yaml(reference), "the ladder", sets);
  } catch (const std::exception& e) {
    throw std::runtime_error(what + ": " + e.what());
  }
  return {shape, counted_params(c, count), what + " (" + describe(shape) + ")"};
}

}  // namespace

const char* side_name(Side side) {
  return side == Side::below ? "below" : "above";
}

double counted_params(const Config& config, const std::string& count) {
  const ParamCounts n = count_params(config.model);
  return double(count == "total" ? n.total : n.non_embedding);
}

Ladder::Ladder(const LadderSpec& spec, const Config& reference, const std::string& count)
    : where_(spec.where) {
  const std::string prefix = "study.bracketing.ladder (" + spec.where + ")";
  if (!spec.geometric()) {
    for (size_t i = 0; i < spec.shapes.size(); ++i)
      rungs_.push_back(make_rung(spec.shapes[i], reference, count,
                                 spec.rung_at[i] + ": rung " + std::to_string(i)));
  } else {
    // N_i = from ratio^i while N_i <= to; shapes by shape_from_params at the study's count.
    Params p(spec.shape.begin(), spec.shape.end());
    p["count"] = count;
    for (int i = 0; i < 1000; ++i) {
      const double target = spec.from * std::pow(spec.ratio, i);
      if (target > spec.to * (1 + 1e-9)) break;
      p["params"] = format_number(target);
      const std::string what = prefix + ": size " + format_number(target);
      Rung r = make_rung(derive_shape(reference.model, p, what), reference, count, what);
      if (!rungs_.empty() && rungs_.back().shape == r.shape) continue;  // same shape again
      rungs_.push_back(r);
    }
  }
  if (rungs_.size() < 2)
    throw std::runtime_error(prefix + ": the ladder has fewer than 2 distinct shapes");
  for (size_t i = 1; i < rungs_.size(); ++i)
    if (!(rungs_[i].params > rungs_[i - 1].params))
      throw std::runtime_error(
          prefix + ": " + rungs_[i].what + " has N = " + format_number(rungs_[i].params) +
          ", not above the rung before (" + format_number(rungs_[i - 1].params) +
          "); rungs go from the smallest model up");
}

const Rung* Ladder::next(double size, Side side) const {
  if (side == Side::above) {
    for (const auto& r : rungs_)
      if (r.params > size * (1 + 1e-9)) return &r;
    return nullptr;
  }
  for (auto it = rungs_.rbegin(); it != rungs_.rend(); ++it)
    if (it->params < size * (1 - 1e-9)) return &*it;
  return nullptr;
}

}  // namespace scalelab::sweep
