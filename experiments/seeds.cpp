#include "experiments/seeds.h"

#include <algorithm>
#include <stdexcept>

namespace scalelab::sweep {
namespace {

const std::string* tag(const Run& run, const std::string& key) {
  for (const auto& [k, v] : run.tags)
    if (k == key) return &v;
  return nullptr;
}

void set_tag(Run& run, const std::string& key, const std::string& value) {
  for (auto& [k, v] : run.tags)
    if (k == key) {
      v = value;
      return;
    }
  run.tags.emplace_back(key, value);
}

}  // namespace

std::string seed_run_name(const std::string& point_name, int seed_index) {
  return point_name + "-s" + std::to_string(seed_index);
}

void mark_seed(Run& run, int seed_index) {
  for (const char* reserved : {kPointTag, kSeedTag, kTrunkTag})
    if (tag(run, reserved))
      throw std::runtime_error(run.group + ": tags." + reserved +
                               " is written by seeds: (the point, seed and trunk of every seeded "
                               "run); give the tag another name");
  const std::string point = run.name;
  run.name = seed_run_name(point, seed_index);
  run.tags.emplace_back(kPointTag, point);
  run.tags.emplace_back(kSeedTag, std::to_string(seed_index));
}

int seed_index(const Run& run) {
  const std::string* s = tag(run, kSeedTag);
  return s ? std::stoi(*s) : -1;
}

void tag_trunks(std::vector<Run>& runs) {
  for (auto& r : runs) {
    if (seed_index(r) < 0) continue;
    if (r.trunk()) {
      // A trunk is a copy of its longest branch, tags included: give it its own point.
      set_tag(r, kPointTag, *tag(r, kPointTag) + "-trunk");
      set_tag(r, kTrunkTag, r.name);
    } else {
      set_tag(r, kTrunkTag, r.branch_step >= 0 ? r.parent : r.name);
    }
  }
}

}  // namespace scalelab::sweep
