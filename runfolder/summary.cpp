#include "runfolder/summary.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "configs/config_enums.h"
#include "common/checked_io.h"

namespace scalelab {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json number_or_null(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}
json optional_number(const std::optional<double>& v) {
  return v ? number_or_null(*v) : json(nullptr);
}

// Typed reads that name the file and the key when a field is missing or of the wrong type.
class Reader {
 public:
  Reader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}
  const json& at(const std::string& key) const {
    if (!j_.contains(key)) throw std::runtime_error(where_ + ": missing '" + key + "'");
    return j_.at(key);
  }
  double number(const std::string& key) const {
    const json& v = at(key);
    if (v.is_null()) return std::nan("");  // NaN is written as null
    if (!v.is_number()) throw std::runtime_error(where_ + ": '" + key + "' is not a number");
    return v.get<double>();
  }
  std::optional<double> optional_number(const std::string& key) const {
    if (!j_.contains(key) || j_.at(key).is_null()) return std::nullopt;
    return number(key);
  }
  std::string text(const std::string& key, const std::string& fallback = "") const {
    if (!j_.contains(key) || j_.at(key).is_null()) return fallback;
    if (!j_.at(key).is_string())
      throw std::runtime_error(where_ + ": '" + key + "' is not a string");
    return j_.at(key).get<std::string>();
  }
  Reader section(const std::string& key) const {
    if (!at(key).is_object()) throw std::runtime_error(where_ + ": '" + key + "' is not an object");
    return Reader(at(key), where_ + ": " + key);
  }
  const json& raw() const { return j_; }

 private:
  const json& j_;
  std::string where_;
};

}  // namespace

double RunSummary::flops_under(FlopConvention c) const {
  auto it = flops.find(c);
  if (it == flops.end())
    throw std::runtime_error(run_name + ": summary.json has no flops." + enum_name(c));
  return it->second;
}

double RunSummary::flop_budget() const {
  if (config.contains("train") && config["train"].contains("flops") &&
      config["train"]["flops"].is_number() && config["train"]["flops"].get<double>() > 0)
    return config["train"]["flops"].get<double>();
  if (tags.contains("budget") && tags["budget"].is_number()) return tags["budget"].get<double>();
  return 0;
}

json summary_to_json(const RunSummary& s) {
  json flops = json::object();
  for (const auto& [c, v] : s.flops) flops[enum_name(c)] = v;
  json j = {{"version", RunSummary::kVersion},
            {"run_name", s.run_name},
            {"status", enum_name(s.status)},
            {"stop_signal", s.stop_signal},
            {"params",
             {{"total", s.params_total},
              {"embedding", s.params_embedding},
              {"non_embedding", s.params_non_embedding}}},
            {"tokens", s.tokens},
            {"unique_tokens", s.unique_tokens},
            {"epochs", s.epochs},
            {"steps", s.steps},
            {"budget_steps", s.budget_steps},
            {"flops", flops},
            {"final_val_loss", number_or_null(s.final_val_loss)},
            {"best_val_loss", number_or_null(s.best_val_loss)},
            {"final_train_loss", number_or_null(s.final_train_loss)},
            {"wall_time_s", s.wall_time_s},
            {"tokens_per_s", s.tokens_per_s},
            {"mfu", optional_number(s.mfu)},
            {"mfu_measured", optional_number(s.mfu_measured)},
            {"peak_flops", optional_number(s.peak_flops)},
            {"measured_peak_flops", optional_number(s.measured_peak_flops)},
            {"device", s.device},
            {"precision", s.precision},
            {"world_size", s.world_size},
            {"torch_version", s.torch_version},
            {"git_commit", s.git_commit},
            {"config", s.config},
            {"tags", s.tags}};
  if (!s.error.empty()) j["error"] = s.error;
  return j;
}

RunSummary summary_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw std::runtime_error(where + ": not a JSON object");
  const Reader r(j, where);
  RunSummary s;
  s.run_name = r.text("run_name");
  const std::string status = r.text("status", "finished");
  auto parsed = find_enum<RunStatus>(status);
  if (!parsed)
    throw std::runtime_error(where + ": status '" + status + "' is not one of " +
                             enum_choices<RunStatus>());
  s.status = *parsed;
  s.error = r.text("error");
  s.stop_signal = int(r.optional_number("stop_signal").value_or(0));
  // Summaries of version 1 wrote only name, status, steps and error for a diverged run: read those
  // as they are rather than fail a whole sweep's analysis on them.
  if (!is_complete(s.status) && !j.contains("params")) {
    s.steps = std::llround(r.optional_number("steps").value_or(0));
    return s;
  }
  const Reader params = r.section("params");
  s.params_total = std::llround(params.number("total"));
  s.params_embedding = std::llround(params.number("embedding"));
  s.params_non_embedding = std::llround(params.number("non_embedding"));
  s.tokens = r.number("tokens");
  s.unique_tokens = r.optional_number("unique_tokens").value_or(0);
  s.epochs = r.optional_number("epochs").value_or(0);
  s.steps = std::llround(r.number("steps"));
  s.budget_steps = std::llround(r.optional_number("budget_steps").value_or(0));
  const Reader flops = r.section("flops");
  for (const auto& [name, value] : flops.raw().items()) {
    auto c = find_enum<FlopConvention>(name);
    if (!c) continue;  // a convention this build does not know: keep reading the others
    s.flops[*c] = flops.number(name);
  }
  s.final_val_loss = r.number("final_val_loss");
  s.best_val_loss = r.optional_number("best_val_loss").value_or(s.final_val_loss);
  s.final_train_loss = r.optional_number("final_train_loss").value_or(std::nan(""));
  s.wall_time_s = r.optional_number("wall_time_s").value_or(0);
  s.tokens_per_s = r.optional_number("tokens_per_s").value_or(0);
  s.mfu = r.optional_number("mfu");
  s.mfu_measured = r.optional_number("mfu_measured");
  s.peak_flops = r.optional_number("peak_flops");
  s.measured_peak_flops = r.optional_number("measured_peak_flops");
  s.device = r.text("device");
  s.precision = r.text("precision");
  s.torch_version = r.text("torch_version");
  s.git_commit = r.text("git_commit");
  s.world_size = int(r.optional_number("world_size").value_or(1));
  if (j.contains("config") && j["config"].is_object()) s.config = j["config"];
  if (j.contains("tags") && j["tags"].is_object()) s.tags = j["tags"];
  return s;
}

std::string summary_path(const std::string& run_dir) {
  return (fs::path(run_dir) / "summary.json").string();
}

nlohmann::json tag_value(const std::string& text) {
  char* end = nullptr;
  const double number = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0' ? nlohmann::json(number) : nlohmann::json(text);
}

std::string log_path(const std::string& run_dir) {
  return (fs::path(run_dir) / "log.txt").string();
}

void write_summary(const std::string& run_dir, const RunSummary& summary) {
  write_file_atomic(summary_path(run_dir), summary_to_json(summary).dump(2) + "\n");
}

std::optional<RunSummary> read_summary(const std::string& run_dir) {
  const std::string path = summary_path(run_dir);
  if (!fs::exists(path)) return std::nullopt;
  const json j = json::parse(read_text_file(path), nullptr, false);
  if (j.is_discarded())
    throw std::runtime_error(path + ": not valid JSON (a damaged file? rerun the run)");
  return summary_from_json(j, path);
}

std::optional<SummaryHead> read_summary_head(const std::string& run_dir) {
  std::string text;
  try {
    text = read_text_file(summary_path(run_dir));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  SummaryHead h;
  const std::string status =
      j.contains("status") && j["status"].is_string() ? j["status"].get<std::string>() : "finished";
  auto parsed = find_enum<RunStatus>(status);
  if (!parsed) return std::nullopt;
  h.status = *parsed;
  if (j.contains("final_val_loss") && j["final_val_loss"].is_number())
    h.final_val_loss = j["final_val_loss"].get<double>();
  if (j.contains("wall_time_s") && j["wall_time_s"].is_number())
    h.wall_time_s = j["wall_time_s"].get<double>();
  if (j.contains("steps") && j["steps"].is_number()) h.steps = j["steps"].get<int64_t>();
  return h;
}

}  // namespace scalelab
