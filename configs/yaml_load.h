// Parsing YAML text with one wording for every file scalelab reads (configs, sweep and tune
// files): "<file>:<line>: malformed YAML: <what>", and a file nested too deep for yaml-cpp named
// as such (its depth guard otherwise says only "bad file").
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace scalelab {

// YAML::Load(text); throws ConfigError naming origin, the line and the problem.
YAML::Node load_yaml(const std::string& text, const std::string& origin);

}  // namespace scalelab
