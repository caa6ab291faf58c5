// Logging for people, through spdlog, callable from translation units that include LibTorch.
// LibTorch ships fmt 12 in its include directory, which shadows the fmt 9 that Debian's spdlog is
// built against; so spdlog is included only in log.cpp (compiled without LibTorch's include path)
// and everyone else logs through these functions. Messages carry an "[area]" prefix.
#pragma once

#include <string>

namespace scalelab::log {

void info(const std::string& message);
void warn(const std::string& message);
void error(const std::string& message);
// Also write every message to `path` (a run's log.txt); empty path stops that.
void tee_to_file(const std::string& path);
// Also write every message to `path`, beside the files already written (the runs of one pack).
void also_tee_to_file(const std::string& path);
// Stop writing to `path`.
void stop_tee(const std::string& path);
// Silence info messages (warnings and errors still show), e.g. for non-zero ranks.
void set_quiet(bool quiet);

// printf-style formatting into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace scalelab::log
