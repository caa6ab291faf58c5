#include "runfolder/metrics.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "configs/config_enums.h"
#include "common/checked_io.h"

namespace scalelab {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json flops_json(const FlopsByConvention& flops) {
  json j = json::object();
  for (const auto& [c, v] : flops) j[enum_name(c)] = v;
  return j;
}

json optional_number(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}

}  // namespace

json metrics_line(const TrainMetrics& m) {
  json line = {{"kind", "train"},
               {"step", m.step},
               {"tokens", m.tokens},
               {"loss", m.loss},
               {"lr", m.lr},
               {"grad_norm", m.grad_norm},
               {"tokens_per_s", m.tokens_per_s},
               {"mfu", optional_number(m.mfu)},
               {"elapsed_s", m.elapsed_s},
               {"flops", flops_json(m.flops)}};
  if (m.mfu_measured) line["mfu_measured"] = optional_number(m.mfu_measured);
  return line;
}

json metrics_line(const EvalMetrics& m) {
  return {{"kind", "eval"},         {"step", m.step},           {"tokens", m.tokens},
          {"val_loss", m.val_loss}, {"elapsed_s", m.elapsed_s}, {"flops", flops_json(m.flops)}};
}

std::string metrics_path(const std::string& run_dir) {
  return (fs::path(run_dir) / "metrics.jsonl").string();
}

MetricsWriter::MetricsWriter(const std::string& path, int64_t bytes) : path_(path), bytes_(bytes) {
  out_.open(path, std::ios::app | std::ios::binary);
  if (!out_) throw std::runtime_error(io_error(path, "open for writing", errno));
}

MetricsWriter MetricsWriter::fresh(const std::string& run_dir) {
  const std::string path = metrics_path(run_dir);
  std::error_code ec;
  fs::remove(path, ec);
  return MetricsWriter(path, 0);
}

MetricsWriter MetricsWriter::resumed(const std::string& run_dir, int64_t length_at_checkpoint) {
  const std::string path = metrics_path(run_dir);
  std::error_code ec;
  const auto size = fs::exists(path) ? int64_t(fs::file_size(path, ec)) : int64_t(0);
  if (size < length_at_checkpoint)
    throw std::runtime_error(
        path + ": is " + std::to_string(size) + " bytes, shorter than the " +
        std::to_string(length_at_checkpoint) +
        " it had at the checkpoint (damaged or edited); restore it, or start the "
        "run over with --force");
  if (size > 0) fs::resize_file(path, length_at_checkpoint, ec);
  if (ec)
    throw std::runtime_error(path + ": cannot cut back to the checkpoint (" + ec.message() + ")");
  return MetricsWriter(path, length_at_checkpoint);
}

void MetricsWriter::write(const json& line) {
  const std::string text = line.dump() + "\n";
  errno = 0;
  out_ << text;
  out_.flush();
  if (out_) {
    bytes_ += static_cast<int64_t>(text.size());
    return;
  }
  // A full disk may have taken part of the line: close (the stream's last flush could add more),
  // then cut the file back to its last complete line, so that it never holds half a line.
  const int error_number = errno ? errno : EIO;
  out_.close();
  std::error_code ec;
  fs::resize_file(path_, static_cast<uintmax_t>(bytes_), ec);
  throw std::runtime_error(
      path_ + ": cannot append (" + std::strerror(error_number) + "); " +
      (ec ? "part of a line may remain at its end (cutting it off failed too)"
          : "the line was not written and the file ends at its last complete line") +
      "; free some space and continue with `scalelab train ... --resume`");
}

std::vector<MetricPoint> read_metrics(const std::string& run_dir) {
  std::vector<MetricPoint> out;
  std::ifstream in(metrics_path(run_dir));
  for (std::string text; in && std::getline(in, text);) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // a line cut short by a crash
    const std::string kind = j.value("kind", "");
    const char* key = kind == "train" ? "loss" : kind == "eval" ? "val_loss" : nullptr;
    if (!key || !j.contains(key) || !j[key].is_number()) continue;
    MetricPoint p;
    p.kind = kind == "train" ? MetricKind::train : MetricKind::eval;
    p.step = j.value("step", int64_t(0));
    p.tokens = j.value("tokens", 0.0);
    p.loss = j[key].get<double>();
    if (j.contains("tokens_per_s") && j["tokens_per_s"].is_number())
      p.tokens_per_s = j["tokens_per_s"].get<double>();
    if (j.contains("flops") && j["flops"].is_object())
      for (const auto& [name, v] : j["flops"].items())
        if (auto c = find_enum<FlopConvention>(name); c && v.is_number())
          p.flops[*c] = v.get<double>();
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace scalelab
