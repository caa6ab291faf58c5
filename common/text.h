// Numbers and durations as people read them, for every command's output and log lines.
#pragma once

#include <string>

namespace scalelab {

// 1.23e+09 style for large counts, plain below 1e5.
std::string sci(double v);

// 1.7B, 350M, 12.3K for parameter and token counts.
std::string human(double v);

// 45s, 3m07s, 2h05m; "?" for a negative or non-finite time (an ETA not known yet).
std::string duration_text(double seconds);

// The time now in UTC, through strftime's format (e.g. "%Y-%m-%dT%H:%M:%SZ").
std::string utc_now(const char* format);

}  // namespace scalelab
