// metrics.jsonl: one JSON object per logged train step and per evaluation (docs/formats.md).
// The trainer writes it through MetricsWriter; the analysis reads it through read_metrics.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "configs/config.h"

namespace scalelab {

enum class MetricKind { train, eval };

// Cumulative training FLOPs per convention at a point of the run.
using FlopsByConvention = std::map<FlopConvention, double>;

struct TrainMetrics {
  int64_t step = 0;
  double tokens = 0, loss = 0, lr = 0, grad_norm = 0, tokens_per_s = 0, elapsed_s = 0;
  std::optional<double> mfu, mfu_measured;  // against the table peak, the measured peak
  FlopsByConvention flops;
};
struct EvalMetrics {
  int64_t step = 0;
  double tokens = 0, val_loss = 0, elapsed_s = 0;
  FlopsByConvention flops;
};
nlohmann::json metrics_line(const TrainMetrics& m);
nlohmann::json metrics_line(const EvalMetrics& m);

std::string metrics_path(const std::string& run_dir);

// Appends one line per call and flushes it, so a killed run keeps every line it logged. Writes
// are checked: a full disk is an error naming the file, not a silently short log.
class MetricsWriter {
 public:
  // A fresh run starts an empty file. A resumed one continues the file cut back to the length it
  // had at the checkpoint (lines logged after it are dropped); a file shorter than that was
  // damaged or edited, and is an error that says what to do.
  static MetricsWriter fresh(const std::string& run_dir);
  static MetricsWriter resumed(const std::string& run_dir, int64_t length_at_checkpoint);
  void write(const nlohmann::json& line);
  int64_t bytes() const { return bytes_; }

 private:
  MetricsWriter(const std::string& path, int64_t bytes);
  std::string path_;
  std::ofstream out_;
  int64_t bytes_ = 0;
};

// One line read back: loss is the train loss or the val loss by kind.
struct MetricPoint {
  MetricKind kind = MetricKind::train;
  int64_t step = 0;
  double tokens = 0, loss = 0;
  double tokens_per_s = 0;  // train lines
  FlopsByConvention flops;
};
// Every complete line of a run's metrics.jsonl (a line cut short by a crash is skipped: the
// summary is authoritative); empty when the file does not exist.
std::vector<MetricPoint> read_metrics(const std::string& run_dir);

}  // namespace scalelab
