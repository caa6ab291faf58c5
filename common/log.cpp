#include "common/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <memory>
#include <mutex>
#include <vector>

namespace scalelab::log {
namespace {

std::mutex mutex;

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    auto l = std::make_shared<spdlog::logger>("scalelab", console);
    l->set_pattern("%H:%M:%S %^%l%$ %v");
    l->set_level(spdlog::level::info);
    return l;
  }();
  return instance;
}

std::shared_ptr<spdlog::sinks::basic_file_sink_mt> file_sink;

}  // namespace

void info(const std::string& message) {
  logger()->info(message);
}
void warn(const std::string& message) {
  logger()->warn(message);
}
void error(const std::string& message) {
  logger()->error(message);
}

void tee_to_file(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex);
  auto& sinks = logger()->sinks();
  if (file_sink) {
    sinks.erase(std::remove(sinks.begin(), sinks.end(), file_sink), sinks.end());
    file_sink.reset();
  }
  if (path.empty()) return;
  file_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
  file_sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
  sinks.push_back(file_sink);
  logger()->flush_on(spdlog::level::info);
}

void set_quiet(bool quiet) {
  logger()->set_level(quiet ? spdlog::level::warn : spdlog::level::info);
}

std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string out(n > 0 ? n : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), n + 1, fmt, args);
  va_end(args);
  return out;
}

}  // namespace scalelab::log
