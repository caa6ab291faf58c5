// The resolved config as nested JSON (summary.json carries it, so the analysis can read every
// setting of a run without a YAML parser).
#pragma once

#include <nlohmann/json.hpp>

#include "configs/config.h"

namespace scalelab {

nlohmann::json config_to_json(const Config& config);

}  // namespace scalelab
