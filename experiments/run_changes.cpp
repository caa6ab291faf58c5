#include "experiments/run_changes.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "common/checked_io.h"
#include "common/enum_names.h"
#include "common/text.h"
#include "configs/config_json.h"
#include "runfolder/summary.h"

namespace scalelab::sweep {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

std::optional<json> read_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

// The config the folder trained with: summary.json's (every status writes it), else the
// config.yaml an interrupted run started with.
std::optional<json> trained_config(const std::string& run_dir) {
  if (auto summary = read_json_file(summary_path(run_dir)))
    if (summary->contains("config") && (*summary)["config"].is_object())
      return (*summary)["config"];
  const fs::path yaml = fs::path(run_dir) / "config.yaml";
  if (!fs::exists(yaml)) return std::nullopt;
  try {
    return config_to_json(parse_config(read_text_file(yaml.string()), yaml.string()));
  } catch (const std::exception&) {
    return std::nullopt;  // written by a version with other keys: nothing to compare
  }
}

// "/schedule/decay_fraction" -> "schedule.decay_fraction"
std::string dotted(const std::string& pointer) {
  std::string out = pointer.substr(1);
  for (char& c : out)
    if (c == '/') c = '.';
  return out;
}

bool compared(const std::string& key, const Run& run) {
  static const std::set<std::string> operational = {
      "train.threads",   "train.device",     "train.micro_batch_size",   "log.every",
      "log.tensorboard", "checkpoint.every", "checkpoint.every_seconds", "checkpoint.keep"};
  if (operational.count(key)) return false;
  if (key == "eval.every" && run.config.eval.early_stop_patience == 0) return false;
  static const std::set<std::string> trunk_free = {"train.steps", "train.tokens", "train.flops",
                                                   "schedule.decay_fraction",
                                                   "schedule.decay_shape"};
  return !(run.trunk() && trunk_free.count(key));
}

bool same_value(const std::string& key, const json& then, const json& now) {
  if (then.is_number() && now.is_number()) return then.get<double>() == now.get<double>();
  if (key == "data.path" && then.is_string() && now.is_string()) {
    std::error_code ec1, ec2;
    const auto a = fs::weakly_canonical(then.get<std::string>(), ec1);
    const auto b = fs::weakly_canonical(now.get<std::string>(), ec2);
    if (!ec1 && !ec2) return a == b;
  }
  return then == now;
}

std::string value_text(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string utc_stamp() {
  return utc_now("%Y%m%dT%H%M%SZ");
}

}  // namespace

std::optional<TrainedRun> read_trained(const std::string& run_dir) {
  const auto j = read_json_file(summary_path(run_dir));
  if (!j) return std::nullopt;
  TrainedRun t;
  if (j->contains("params") && (*j)["params"].is_object())
    t.params_total = (*j)["params"].value("total", int64_t(0));
  t.tokens = j->value("tokens", 0.0);
  t.steps = j->value("steps", int64_t(0));
  t.tokens_per_s = j->value("tokens_per_s", 0.0);
  if (j->contains("flops") && (*j)["flops"].is_object())
    t.chinchilla_flops = (*j)["flops"].value("chinchilla", 0.0);
  const auto status = find_enum<RunStatus>(j->value("status", ""));
  t.complete = status && is_complete(*status);
  if (j->contains("tags") && (*j)["tags"].is_object())
    t.branch = (*j)["tags"].value("branching", json()) == "branch";
  return t;
}

std::vector<std::string> config_changes(const Run& run, const std::string& run_dir) {
  const auto trained = trained_config(run_dir);
  if (!trained) return {};
  const json then = trained->flatten(), now = config_to_json(run.config).flatten();
  // A key added to the config since the run trained held its default then.
  const json defaults = config_to_json(Config{}).flatten();
  std::vector<std::string> out;
  for (const auto& [pointer, value] : now.items()) {
    const std::string key = dotted(pointer);
    if (!compared(key, run)) continue;
    const json old = then.contains(pointer) ? then[pointer] : defaults.value(pointer, json());
    if (!same_value(key, old, value))
      out.push_back(key + ": " + value_text(old) + " -> " + value_text(value));
  }
  return out;
}

std::string changes_text(const std::vector<std::string>& changes, size_t max) {
  std::string out;
  for (size_t i = 0; i < changes.size() && i < max; ++i) out += (i ? ", " : "") + changes[i];
  if (changes.size() > max) out += " and " + std::to_string(changes.size() - max) + " more";
  return out;
}

std::string set_aside(const std::string& run_dir) {
  const fs::path replaced = fs::path(run_dir) / "replaced";
  fs::path to = replaced / utc_stamp();
  for (int i = 2; fs::exists(to); ++i) to = replaced / (utc_stamp() + "-" + std::to_string(i));
  make_directories(to.string());
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(run_dir)) {
    const std::string name = e.path().filename().string();
    if (name != ".lock" && name != ".train.lock" && name != "replaced" && name != "summary.json")
      entries.push_back(e.path());
  }
  if (fs::exists(summary_path(run_dir))) entries.emplace_back(summary_path(run_dir));
  for (const auto& from : entries) {
    std::error_code ec;
    fs::rename(from, to / from.filename(), ec);
    if (ec)
      throw std::runtime_error(from.string() + ": cannot move it to " + to.string() + " (" +
                               ec.message() + ")");
  }
  return to.string();
}

}  // namespace scalelab::sweep
