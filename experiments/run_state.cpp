#include "experiments/run_state.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "runfolder/metrics.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;

RunLock::RunLock(const std::string& run_dir) {
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec)
    throw std::runtime_error(run_dir + ": cannot create the run folder (" + ec.message() + ")");
  const std::string path = (fs::path(run_dir) / ".lock").string();
  // Close-on-exec: only the child that trains this run inherits it (the runner clears the flag).
  fd_ = try_lock_file(path);
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::string last_lines(const std::string& path, int n) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (int(lines.size()) > n) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string last_nonempty_line(const std::string& text) {
  auto end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return "";
  auto begin = text.rfind('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(begin, end - begin + 1);
}

std::optional<LastMetrics> last_metrics(const std::string& run_dir) {
  // Far more than one line: a train line is about 300 bytes, an evaluation follows every
  // eval.every steps, so the newest of each lies within the tail unless evaluations are rare.
  constexpr std::streamoff kTail = 64 * 1024;
  std::ifstream in(metrics_path(run_dir), std::ios::binary | std::ios::ate);
  if (!in) return std::nullopt;
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - kTail);
  in.seekg(from);
  std::string tail(size_t(size - from), '\0');
  in.read(tail.data(), std::streamsize(tail.size()));
  std::optional<LastMetrics> out;
  bool have_eval = false;
  int64_t eval_step = -1;
  double val_loss = std::nan("");
  // Newest first; a line cut short (by a crash, or by the tail's start) does not parse.
  size_t end = tail.size();
  while (end > 0 && !(out && have_eval)) {
    const size_t start = tail.rfind('\n', end - 1);
    const size_t begin = start == std::string::npos ? 0 : start + 1;
    const auto j = nlohmann::json::parse(tail.substr(begin, end - begin), nullptr, false);
    end = start == std::string::npos ? 0 : start;
    if (j.is_discarded() || !j.is_object()) continue;
    const std::string kind = j.value("kind", "");
    if (kind == "train" && !out && j.contains("loss") && j["loss"].is_number()) {
      out.emplace();
      out->step = j.value("step", int64_t(0));
      out->tokens = j.value("tokens", 0.0);
      out->loss = j["loss"].get<double>();
      if (j.contains("tokens_per_s") && j["tokens_per_s"].is_number())
        out->tokens_per_s = j["tokens_per_s"].get<double>();
      if (j.contains("elapsed_s") && j["elapsed_s"].is_number())
        out->elapsed_s = j["elapsed_s"].get<double>();
    } else if (kind == "eval" && !have_eval && j.contains("val_loss") &&
               j["val_loss"].is_number()) {
      have_eval = true;
      eval_step = j.value("step", int64_t(0));
      val_loss = j["val_loss"].get<double>();
    }
  }
  if (out && have_eval) {
    out->eval_step = eval_step;
    out->val_loss = val_loss;
  }
  return out;
}

}  // namespace scalelab::sweep
