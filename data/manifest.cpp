#include "data/manifest.h"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace scalelab::data {

namespace fs = std::filesystem;

namespace {

nlohmann::json split_to_json(const SplitEntry& split, int64_t n_tokens) {
  nlohmann::json shards = nlohmann::json::array();
  for (const auto& s : split.shards)
    shards.push_back({{"file", s.file}, {"n_tokens", s.n_tokens}, {"sha256", s.sha256}});
  return {{"n_tokens", n_tokens},
          {"n_docs", split.n_docs},
          {"n_bytes", split.n_bytes},
          {"shards", shards}};
}

// Field access that names the manifest and the key path on any mismatch.
struct Reader {
  std::string where;
  const nlohmann::json& get(const nlohmann::json& j, const std::string& key,
                            const std::string& path) const {
    if (!j.is_object() || !j.contains(key))
      throw std::runtime_error(where + ": missing field '" + path + key + "'");
    return j.at(key);
  }
  int64_t count(const nlohmann::json& j, const std::string& key,
                const std::string& path = "") const {
    const auto& v = get(j, key, path);
    if (!v.is_number_integer() || v.get<int64_t>() < 0)
      throw std::runtime_error(where + ": field '" + path + key +
                               "' must be a non-negative integer");
    return v.get<int64_t>();
  }
  std::string text(const nlohmann::json& j, const std::string& key,
                   const std::string& path = "") const {
    const auto& v = get(j, key, path);
    if (!v.is_string())
      throw std::runtime_error(where + ": field '" + path + key + "' must be a string");
    return v.get<std::string>();
  }
};

SplitEntry split_from_json(const Reader& r, const nlohmann::json& j, const std::string& name,
                           int64_t* n_tokens) {
  const std::string path = "splits." + name + ".";
  SplitEntry split;
  *n_tokens = r.count(j, "n_tokens", path);
  split.n_docs = r.count(j, "n_docs", path);
  split.n_bytes = j.contains("n_bytes") ? r.count(j, "n_bytes", path) : 0;
  const auto& shards = r.get(j, "shards", path);
  if (!shards.is_array())
    throw std::runtime_error(r.where + ": field '" + path + "shards' must be a list");
  int64_t sum = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string shard_path = path + "shards[" + std::to_string(i) + "].";
    ShardEntry e;
    e.file = r.text(shards[i], "file", shard_path);
    e.n_tokens = r.count(shards[i], "n_tokens", shard_path);
    if (shards[i].contains("sha256")) e.sha256 = r.text(shards[i], "sha256", shard_path);
    sum += e.n_tokens;
    split.shards.push_back(std::move(e));
  }
  if (sum != *n_tokens)
    throw std::runtime_error(r.where + ": " + path + "n_tokens is " + std::to_string(*n_tokens) +
                             " but its shards hold " + std::to_string(sum));
  return split;
}

}  // namespace

void write_manifest(const std::string& dataset_dir, const Manifest& m) {
  nlohmann::json j = {
      {"format", "scalelab-dataset"},
      {"version", kManifestVersion},
      {"tokenizer", m.tokenizer},
      {"tokenizer_model", m.tokenizer_model},
      {"vocab_size", m.vocab_size},
      {"eot_token", m.eot_token},
      {"n_train_tokens", m.n_train_tokens},
      {"n_val_tokens", m.n_val_tokens},
      {"splits",
       {{"train", split_to_json(m.train, m.n_train_tokens)},
        {"val", split_to_json(m.val, m.n_val_tokens)}}},
      {"prepare", m.prepare},
  };
  const std::string path = (fs::path(dataset_dir) / "manifest.json").string();
  // Write then rename, so a dataset never has a half-written manifest.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(2) << "\n";
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  fs::rename(tmp, path);
}

Manifest read_manifest(const std::string& dataset_dir) {
  if (!fs::is_directory(dataset_dir))
    throw std::runtime_error("dataset " + dataset_dir +
                             ": no such folder (make one with `scalelab prepare`)");
  const std::string path = (fs::path(dataset_dir) / "manifest.json").string();
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("dataset " + dataset_dir +
                             ": no manifest.json (not made by `scalelab prepare`?)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": invalid JSON: " + e.what());
  }
  Reader r{path};
  if (r.count(j, "version") != kManifestVersion)
    throw std::runtime_error(path + ": unsupported version " + j["version"].dump() + " (expected " +
                             std::to_string(kManifestVersion) + ")");
  Manifest m;
  m.tokenizer = r.text(j, "tokenizer");
  if (m.tokenizer != "byte" && m.tokenizer != "bpe" && m.tokenizer != "sentencepiece" &&
      m.tokenizer != "external")
    throw std::runtime_error(path + ": field 'tokenizer' is '" + m.tokenizer +
                             "' (expected byte, bpe, sentencepiece or external)");
  m.tokenizer_model = j.contains("tokenizer_model") ? r.text(j, "tokenizer_model") : "";
  if ((m.tokenizer == "bpe" || m.tokenizer == "sentencepiece") && m.tokenizer_model.empty())
    throw std::runtime_error(path + ": field 'tokenizer_model' is required for tokenizer " +
                             m.tokenizer);
  m.vocab_size = r.count(j, "vocab_size");
  m.eot_token = r.count(j, "eot_token");
  if (m.vocab_size == 0 || m.eot_token >= m.vocab_size)
    throw std::runtime_error(path + ": eot_token " + std::to_string(m.eot_token) +
                             " must be below vocab_size " + std::to_string(m.vocab_size));
  const auto& splits = r.get(j, "splits", "");
  int64_t n_train = 0, n_val = 0;
  m.train = split_from_json(r, r.get(splits, "train", "splits."), "train", &n_train);
  m.val = split_from_json(r, r.get(splits, "val", "splits."), "val", &n_val);
  m.n_train_tokens = r.count(j, "n_train_tokens");
  m.n_val_tokens = r.count(j, "n_val_tokens");
  if (m.n_train_tokens != n_train || m.n_val_tokens != n_val)
    throw std::runtime_error(path +
                             ": n_train_tokens / n_val_tokens disagree with splits.*.n_tokens");
  if (j.contains("prepare")) m.prepare = j["prepare"];
  return m;
}

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("sha256: OpenSSL init failed");
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw std::runtime_error("read error in " + path);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &n);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) out += {hex[digest[i] >> 4], hex[digest[i] & 15]};
  return out;
}

void verify_checksums(const std::string& dataset_dir, const Manifest& manifest) {
  for (const auto* split : {&manifest.train, &manifest.val})
    for (const auto& shard : split->shards) {
      if (shard.sha256.empty()) continue;
      const std::string path = (fs::path(dataset_dir) / shard.file).string();
      const std::string actual = file_sha256(path);
      if (actual != shard.sha256)
        throw std::runtime_error("shard " + path + ": sha256 " + actual +
                                 " differs from the manifest's " + shard.sha256);
    }
}

}  // namespace scalelab::data
