#include "data/manifest.h"

#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "common/checked_io.h"

namespace scalelab::data {

namespace fs = std::filesystem;

namespace {

nlohmann::json split_to_json(const SplitEntry& split, int64_t n_tokens) {
  nlohmann::json shards = nlohmann::json::array();
  for (const auto& s : split.shards) {
    shards.push_back({{"file", s.file}, {"n_tokens", s.n_tokens}, {"sha256", s.sha256}});
    if (!s.layout.empty()) shards.back()["layout"] = s.layout;
  }
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
    if (shards[i].contains("layout")) {
      e.layout = r.text(shards[i], "layout", shard_path);
      if (e.layout != "raw-uint16" && e.layout != "raw-uint32")
        throw std::runtime_error(r.where + ": field '" + shard_path + "layout' is '" + e.layout +
                                 "' (expected raw-uint16 or raw-uint32; leave it out for shards "
                                 "with the llm.c header)");
    }
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
  write_file_atomic(path, j.dump(2) + "\n");  // a dataset never has a half-written manifest
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

namespace {

std::runtime_error checksum_mismatch(const std::string& path, const std::string& expected,
                                     const std::string& actual) {
  return std::runtime_error("shard " + path + ": sha256 is " + actual + " but manifest.json says " +
                            expected +
                            " (the file changed after prepare wrote it); re-run `scalelab "
                            "prepare` to rebuild the dataset");
}

// What the stamp keys a verified shard by. A copy (new inode), a rewrite or a truncation (size,
// mtime) or a new dataset (digest) all miss the stamp and are hashed again.
struct FileIdentity {
  int64_t size = 0, mtime_ns = 0, inode = 0;
};

FileIdentity identity_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("cannot read " + path);
  return {static_cast<int64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          static_cast<int64_t>(st.st_ino)};
}

nlohmann::json stamp_entry(const FileIdentity& id, const std::string& sha256) {
  return {{"size", id.size}, {"mtime_ns", id.mtime_ns}, {"inode", id.inode}, {"sha256", sha256}};
}

// The stamp's shard table; a missing or unreadable stamp is an empty one (it is only a cache).
nlohmann::json read_stamp(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    try {
      nlohmann::json j = nlohmann::json::parse(in);
      if (j.is_object() && j.value("version", 0) == 1 && j.contains("shards") &&
          j["shards"].is_object())
        return j["shards"];
    } catch (const nlohmann::json::exception&) {
    }
  }
  return nlohmann::json::object();
}

// Merges into the stamp on disk (another loader, e.g. the val split's, may have written since),
// atomically (common/checked_io.h), so readers never see half a stamp; entries of shards that
// failed are dropped. Returns false when the folder is not writable.
bool write_stamp(const std::string& path, const nlohmann::json& verified,
                 const std::vector<std::string>& failed) {
  nlohmann::json shards = read_stamp(path);
  for (const auto& [file, entry] : verified.items()) shards[file] = entry;
  for (const auto& file : failed) shards.erase(file);
  try {
    write_file_atomic(path, nlohmann::json{{"version", 1}, {"shards", shards}}.dump(1) + "\n");
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

}  // namespace

void verify_checksums(const std::string& dataset_dir, const Manifest& manifest) {
  for (const auto* split : {&manifest.train, &manifest.val})
    for (const auto& shard : split->shards) {
      if (shard.sha256.empty()) continue;
      const std::string path = (fs::path(dataset_dir) / shard.file).string();
      const std::string actual = file_sha256(path);
      if (actual != shard.sha256) throw checksum_mismatch(path, shard.sha256, actual);
    }
}

std::string ChecksumReport::summary() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "checked the sha256 of %d shard(s), %.2f GB, in %.1f s", n_hashed,
                n_bytes_hashed / 1e9, seconds);
  std::string why;
  if (n_cached > 0) why += "; " + std::to_string(n_cached) + " more already checked";
  if (n_hashed > 0)
    why += stamp_written ? std::string("; later opens skip them (") + kVerifiedStampFile + ")"
                         : std::string("; the folder is read-only, so every open pays this");
  return "dataset " + dataset_dir + ": " + buf + why;
}

ChecksumReport verify_checksums_cached(const std::string& dataset_dir,
                                       const std::vector<ShardEntry>& shards, int n_threads) {
  ChecksumReport report;
  report.dataset_dir = dataset_dir;
  const std::string stamp_path = (fs::path(dataset_dir) / kVerifiedStampFile).string();
  const nlohmann::json stamp = read_stamp(stamp_path);
  struct Todo {
    const ShardEntry* shard;
    std::string path;
    FileIdentity id;
    std::string actual;
    std::exception_ptr error;
  };
  std::vector<Todo> todo;
  for (const auto& shard : shards) {
    if (shard.sha256.empty()) continue;  // hand-written manifest without checksums
    const std::string path = (fs::path(dataset_dir) / shard.file).string();
    const FileIdentity id = identity_of(path);
    if (stamp.contains(shard.file) && stamp[shard.file] == stamp_entry(id, shard.sha256)) {
      ++report.n_cached;
      continue;
    }
    todo.push_back({&shard, path, id, "", nullptr});
  }
  if (todo.empty()) return report;

  // Shards are hashed in parallel: a first open of a multi-GB dataset is then disk-bound.
  const auto start = std::chrono::steady_clock::now();
  if (n_threads <= 0)
    n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads = std::min<int>(n_threads, static_cast<int>(todo.size()));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < todo.size();) {
      try {
        todo[i].actual = file_sha256(todo[i].path);
      } catch (...) {
        todo[i].error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < n_threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // The shards that matched go into the stamp even when another one failed: a rerun after fixing
  // that one then hashes only it.
  nlohmann::json verified = nlohmann::json::object();
  std::vector<std::string> failed;
  const Todo* bad = nullptr;
  for (const auto& t : todo) {
    ++report.n_hashed;
    report.n_bytes_hashed += t.id.size;
    if (!t.error && t.actual == t.shard->sha256) {
      verified[t.shard->file] = stamp_entry(t.id, t.shard->sha256);
    } else {
      failed.push_back(t.shard->file);
      if (!bad) bad = &t;
    }
  }
  if (!verified.empty() || !failed.empty())
    report.stamp_written = write_stamp(stamp_path, verified, failed);
  if (bad) {
    if (bad->error) std::rethrow_exception(bad->error);
    throw checksum_mismatch(bad->path, bad->shard->sha256, bad->actual);
  }
  return report;
}

}  // namespace scalelab::data
