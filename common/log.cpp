#include "common/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdarg>
#include <map>
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

// The files every message also goes to, by path (a pack of runs writes each run's log.txt).
std::map<std::string, std::shared_ptr<spdlog::sinks::basic_file_sink_mt>> file_sinks;

void remove_sink(const std::string& path) {
  auto it = file_sinks.find(path);
  if (it == file_sinks.end()) return;
  auto& sinks = logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), it->second), sinks.end());
  file_sinks.erase(it);
}

void add_sink(const std::string& path) {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
  sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
  logger()->sinks().push_back(sink);
  file_sinks[path] = sink;
  logger()->flush_on(spdlog::level::info);
}

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
  while (!file_sinks.empty()) remove_sink(file_sinks.begin()->first);
  if (!path.empty()) add_sink(path);
}

void also_tee_to_file(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!file_sinks.count(path)) add_sink(path);
}

void stop_tee(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex);
  remove_sink(path);
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
