// Text helpers of sweep files: `{key}` templates (run names, tags, parents), number formatting,
// `${VAR:-default}` expansion of values, and a config's fields as "section.field" -> text.
#pragma once

#include <map>
#include <string>

#include "configs/config.h"

namespace scalelab::sweep {

using Vars = std::map<std::string, std::string>;

// Shortest text that reads back as the same double, exponent without '+' or leading zeros:
// 3e13 -> "3e13", 1048576 -> "1048576", 0.5 -> "0.5".
std::string format_number(double value);

// Replaces each `{key}` or `{key:printf-format}` (e.g. `{sweep.flops:.2g}`) by vars[key]; numbers
// given a format are reformatted. An unknown key is an error naming `what` and the known keys.
std::string substitute(const std::string& text, const Vars& vars, const std::string& what);

// Expands `${VAR}`, `${VAR:-default}` and a leading `~` (POSIX wordexp, command substitution off).
// Values without '$' or a leading '~' are returned unchanged; the result must be one word.
std::string expand_env(const std::string& value, const std::string& what);

// Every field of the config as "model.n_layer" -> "4" (the names templates may use).
Vars config_fields(const Config& config);

// Parses a whole string as a finite number or throws naming `what`.
double parse_number(const std::string& text, const std::string& what);

// A run name usable as a folder name: characters other than [A-Za-z0-9._+-] become '_'.
std::string folder_safe(const std::string& name);

}  // namespace scalelab::sweep
