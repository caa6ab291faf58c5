// A run's tags (summary.json "tags", docs/formats.md: strings or numbers set by the sweep or the
// user), read one way everywhere: a number may be written as a number or as a numeric string
// ("4", "25e9"), and a tag that must be a number but is not is an error naming the run.
#pragma once

#include <optional>
#include <string>

#include "analysis/inputs/points.h"

namespace scalelab {

// The tag as text: a string as written, a number as JSON writes it; "" when absent.
std::string tag_text(const Run& r, const std::string& key);

// True when the tag is the string `value`.
bool tag_is(const Run& r, const std::string& key, const std::string& value);

// The tag as a number (a number, or a string holding one); nullopt when absent. Throws
// "run NAME: tags.KEY = "x" is not a number" when it is set but is not a finite number.
std::optional<double> tag_number(const Run& r, const std::string& key);

}  // namespace scalelab
