#include "data/run_dataset.h"

#include <filesystem>
#include <stdexcept>

#include "common/checked_io.h"

namespace scalelab::data {

namespace fs = std::filesystem;

namespace {

constexpr int kRecordVersion = 1;
constexpr const char* kModelFile = "tokenizer.model";

std::string absolute_path(const std::string& path) {
  fs::path p = fs::absolute(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();  // "datasets/kjv/" -> ".../datasets/kjv"
  return p.string();
}

std::string describe_tokenizer(const DatasetRecord& r) {
  std::string text = r.manifest.tokenizer + ", vocab " + std::to_string(r.manifest.vocab_size) +
                     ", eot " + std::to_string(r.manifest.eot_token);
  if (!r.tokenizer_model_sha256.empty())
    text += ", tokenizer.model sha256 " + r.tokenizer_model_sha256.substr(0, 12);
  return text;
}

nlohmann::json to_json(const DatasetRecord& r) {
  const Manifest& m = r.manifest;
  return {{"version", kRecordVersion},
          {"path", r.path},
          {"manifest_sha256", r.manifest_sha256},
          {"tokenizer", m.tokenizer},
          {"tokenizer_model", m.tokenizer_model},
          {"tokenizer_model_sha256", r.tokenizer_model_sha256},
          {"vocab_size", m.vocab_size},
          {"eot_token", m.eot_token},
          {"n_train_tokens", m.n_train_tokens},
          {"n_val_tokens", m.n_val_tokens},
          {"split", m.prepare.value("split", "")}};
}

DatasetRecord from_json(const nlohmann::json& j, const std::string& run_dir) {
  DatasetRecord r;
  r.path = j.at("path").get<std::string>();
  r.manifest_sha256 = j.at("manifest_sha256").get<std::string>();
  r.manifest.tokenizer = j.at("tokenizer").get<std::string>();
  r.manifest.tokenizer_model = j.at("tokenizer_model").get<std::string>();
  r.tokenizer_model_sha256 = j.at("tokenizer_model_sha256").get<std::string>();
  r.manifest.vocab_size = j.at("vocab_size").get<int64_t>();
  r.manifest.eot_token = j.at("eot_token").get<int64_t>();
  r.manifest.n_train_tokens = j.value("n_train_tokens", int64_t(0));
  r.manifest.n_val_tokens = j.value("n_val_tokens", int64_t(0));
  r.tokenizer_dir = run_dir;
  return r;
}

}  // namespace

DatasetRecord describe_dataset(const std::string& dataset_dir) {
  DatasetRecord r;
  r.path = absolute_path(dataset_dir);
  r.manifest = read_manifest(dataset_dir);
  r.manifest.train.shards.clear();
  r.manifest.val.shards.clear();
  r.tokenizer_dir = r.path;
  r.manifest_sha256 = file_sha256((fs::path(dataset_dir) / "manifest.json").string());
  if (!r.manifest.tokenizer_model.empty()) {
    const std::string model = (fs::path(dataset_dir) / r.manifest.tokenizer_model).string();
    if (!fs::is_regular_file(model))
      throw std::runtime_error("dataset " + dataset_dir + ": manifest.json names " +
                               r.manifest.tokenizer_model + ", which is not there");
    r.tokenizer_model_sha256 = file_sha256(model);
  }
  return r;
}

void record_dataset(const std::string& run_dir, const DatasetRecord& dataset) {
  DatasetRecord copy = dataset;
  if (!dataset.manifest.tokenizer_model.empty()) {
    // The model itself, so that the run keeps its tokenizer when the dataset moves or goes.
    write_file_atomic(
        (fs::path(run_dir) / kModelFile).string(),
        read_text_file(
            (fs::path(dataset.tokenizer_dir) / dataset.manifest.tokenizer_model).string()));
    copy.manifest.tokenizer_model = kModelFile;
  }
  write_file_atomic((fs::path(run_dir) / kDatasetRecordFile).string(),
                    to_json(copy).dump(2) + "\n");
}

std::optional<DatasetRecord> read_dataset_record(const std::string& run_dir) {
  const fs::path path = fs::path(run_dir) / kDatasetRecordFile;
  if (!fs::exists(path)) return std::nullopt;
  const auto j = nlohmann::json::parse(read_text_file(path.string()), nullptr, false);
  try {
    if (j.is_discarded()) throw std::runtime_error("not JSON");
    return from_json(j, run_dir);
  } catch (const std::exception& e) {
    throw std::runtime_error(path.string() + ": damaged (" + e.what() +
                             "); pass --dataset DIR to name the dataset the run trained on");
  }
}

void check_same_tokenizer(const DatasetRecord& recorded, const DatasetRecord& dataset,
                          const std::string& run_dir) {
  const Manifest &a = recorded.manifest, &b = dataset.manifest;
  if (a.tokenizer == b.tokenizer && a.vocab_size == b.vocab_size && a.eot_token == b.eot_token &&
      recorded.tokenizer_model_sha256 == dataset.tokenizer_model_sha256)
    return;
  throw std::runtime_error("data.path " + dataset.path + ": its tokenizer (" +
                           describe_tokenizer(dataset) + ") is not the one " + run_dir +
                           " trained with (" + describe_tokenizer(recorded) + ", " +
                           kDatasetRecordFile + "); point data.path at that run's dataset");
}

DatasetRecord run_tokenizer_source(const std::string& run_dir, const std::string& data_path,
                                   const std::string& dataset_override) {
  if (!dataset_override.empty()) {
    if (!fs::exists(fs::path(dataset_override) / "manifest.json"))
      throw std::runtime_error("--dataset " + dataset_override +
                               ": no dataset there (no manifest.json)");
    return describe_dataset(dataset_override);
  }
  if (auto recorded = read_dataset_record(run_dir)) return *recorded;
  if (fs::exists(fs::path(data_path) / "manifest.json")) return describe_dataset(data_path);
  const bool relative = fs::path(data_path).is_relative();
  throw std::runtime_error(
      "run folder " + run_dir + " has no " + kDatasetRecordFile +
      " (trained before run folders recorded their tokenizer), and its data.path " + data_path +
      (relative ? " (relative to the directory train ran in) is not found from " +
                      fs::current_path().string()
                : " is not found") +
      ": run from that directory, or pass --dataset DIR");
}

}  // namespace scalelab::data
