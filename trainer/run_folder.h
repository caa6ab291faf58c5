// A run folder's lifecycle: claim it (refusing to overwrite a finished run unless forced), the
// metrics.jsonl stream, log.txt, and summary.json at the end. Only rank 0 writes.
#pragma once

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace scalelab {

enum class RunStart { fresh, resume };

// Creates run_dir (or checks it) and writes config.yaml. A folder with summary.json is finished
// and refused unless force (which clears it); a folder with checkpoints needs resume or force.
// resume with no checkpoint is an error. Errors name the folder and say what to do.
void claim_run_folder(const std::string& run_dir, const std::string& config_yaml, RunStart start,
                      bool force);

// Appends one JSON object per line and flushes it, so a killed run keeps every line it logged.
class MetricsWriter {
 public:
  // Opens run_dir/metrics.jsonl; truncate_to >= 0 cuts it back to that length first (resume
  // drops lines logged after the checkpoint it continues from).
  MetricsWriter(const std::string& run_dir, int64_t truncate_to);
  void write(const nlohmann::json& line);
  int64_t bytes() const { return bytes_; }

 private:
  std::ofstream out_;
  int64_t bytes_ = 0;
};

// Writes summary.json atomically.
void write_summary(const std::string& run_dir, const nlohmann::json& summary);

// Short git commit of the source tree the binary was built from, or "unknown".
std::string source_git_commit();

}  // namespace scalelab
