#include "trainer/run_folder.h"

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "trainer/checkpoint.h"

namespace scalelab {
namespace fs = std::filesystem;

void claim_run_folder(const std::string& run_dir, const std::string& config_yaml, RunStart start,
                      bool force) {
  const fs::path dir(run_dir);
  const bool finished = fs::exists(dir / "summary.json");
  const bool has_checkpoint = newest_checkpoint(run_dir).has_value();
  if (force && start == RunStart::fresh && fs::exists(dir)) {
    for (const char* name : {"summary.json", "metrics.jsonl", "log.txt", "config.yaml"})
      fs::remove(dir / name);
    fs::remove_all(dir / "checkpoints");
  } else if (start == RunStart::resume) {
    if (!has_checkpoint)
      throw std::runtime_error(run_dir + ": --resume found no checkpoint in " + checkpoint_dir(run_dir));
    if (finished) fs::remove(dir / "summary.json");  // continuing a finished run (e.g. more steps)
  } else if (finished) {
    throw std::runtime_error(run_dir + ": holds a finished run (summary.json); pass --force to "
                                       "overwrite it or choose another --out");
  } else if (has_checkpoint) {
    throw std::runtime_error(run_dir + ": holds checkpoints of an unfinished run; pass --resume to "
                                       "continue it or --force to start over");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(run_dir + ": cannot create the run folder (" + ec.message() + ")");
  std::ofstream out(dir / "config.yaml");
  if (!(out << config_yaml) || !out.flush())
    throw std::runtime_error(run_dir + ": cannot write config.yaml (is the folder writable?)");
}

MetricsWriter::MetricsWriter(const std::string& run_dir, int64_t truncate_to) {
  const fs::path path = fs::path(run_dir) / "metrics.jsonl";
  if (truncate_to >= 0 && fs::exists(path)) fs::resize_file(path, truncate_to);
  if (truncate_to < 0) fs::remove(path);
  out_.open(path, std::ios::app);
  if (!out_) throw std::runtime_error(path.string() + ": cannot open for writing");
  bytes_ = fs::exists(path) ? static_cast<int64_t>(fs::file_size(path)) : 0;
}

void MetricsWriter::write(const nlohmann::json& line) {
  const std::string text = line.dump() + "\n";
  out_ << text;
  out_.flush();
  bytes_ += static_cast<int64_t>(text.size());
}

void write_summary(const std::string& run_dir, const nlohmann::json& summary) {
  const fs::path path = fs::path(run_dir) / "summary.json";
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << summary.dump(2) << "\n";
    if (!out.flush()) throw std::runtime_error(tmp.string() + ": cannot write");
  }
  fs::rename(tmp, path);
}

std::string source_git_commit() {
  std::string cmd = std::string("git -C '") + SCALELAB_SOURCE_DIR + "' rev-parse --short HEAD 2>/dev/null";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[64];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

}  // namespace scalelab
