#include "data/import_shards.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "data/dataset_dir.h"
#include "data/shard.h"

namespace scalelab::data {

namespace fs = std::filesystem;

namespace {

struct Source {
  fs::path path;
  bool val = false;
  int raw_token_bytes = 0;  // 0: llm.c header
};

int32_t first_int32(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  int32_t v = 0;
  in.read(reinterpret_cast<char*>(&v), 4);
  return in.gcount() == 4 ? v : 0;
}

bool has_llmc_magic(const fs::path& path) {
  const int32_t m = first_int32(path);
  return m == kShardMagic || m == kShardMagicLlama3;
}

// Which split a shard's file name says: "val" or "train" as a word of the stem (split at _ - .).
int split_of(const std::string& stem) {
  std::vector<std::string> words;
  std::string w;
  for (char c : stem + "_") {
    if (c == '_' || c == '-' || c == '.') {
      if (!w.empty()) words.push_back(w);
      w.clear();
    } else {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  const bool val = std::count(words.begin(), words.end(), "val") > 0;
  const bool train = std::count(words.begin(), words.end(), "train") > 0;
  return val == train ? -1 : val ? 1 : 0;
}

std::vector<Source> find_sources(const std::string& dir, std::string& layout) {
  if (!fs::is_directory(dir)) throw std::runtime_error("--from-shards " + dir + ": no such folder");
  std::vector<fs::path> bins;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".bin") bins.push_back(e.path());
  std::sort(bins.begin(), bins.end());
  if (bins.empty())
    throw std::runtime_error("--from-shards " + dir +
                             ": no .bin token files (expected llm.c shards such as "
                             "fineweb_train_000001.bin, or nanoGPT's train.bin and val.bin)");
  const fs::path train = fs::path(dir) / "train.bin", val = fs::path(dir) / "val.bin";
  std::vector<Source> out;
  if (fs::is_regular_file(train) && fs::is_regular_file(val) && !has_llmc_magic(train) &&
      !has_llmc_magic(val)) {
    layout = "nanogpt";
    return {{train, false, 2}, {val, true, 2}};
  }
  layout = "llm.c";
  for (const auto& p : bins) {
    const int split = split_of(p.stem().string());
    if (split < 0)
      throw std::runtime_error("--from-shards: " + p.string() +
                               ": the name says neither train nor val (llm.c names shards "
                               "NAME_train_NNNNNN.bin and NAME_val_NNNNNN.bin)");
    out.push_back({p, split == 1, 0});
  }
  for (int s = 0; s < 2; ++s)
    if (std::none_of(out.begin(), out.end(), [&](const Source& x) { return x.val == (s == 1); }))
      throw std::runtime_error("--from-shards " + dir + ": no " + (s ? "val" : "train") +
                               " shard (a .bin file whose name has _" + (s ? "val" : "train") +
                               "_)");
  return out;
}

// Hard link (same inode, no copy), else a symlink to the absolute path.
std::string link_into(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_hard_link(from, to, ec);
  if (!ec) return "hard";
  fs::create_symlink(fs::absolute(from), to, ec);
  if (ec)
    throw std::runtime_error("cannot link " + from.string() + " into " + to.parent_path().string() +
                             ": " + ec.message());
  return "symlink";
}

}  // namespace

ImportResult import_shards(const ImportOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  if (o.vocab_size <= 0 || o.eot_token < 0 || o.eot_token >= o.vocab_size)
    throw std::runtime_error("--eot-token " + std::to_string(o.eot_token) +
                             " must be below --vocab-size " + std::to_string(o.vocab_size));
  ImportResult result;
  const std::vector<Source> sources = find_sources(o.from_dir, result.layout);
  detail::check_out_dir(o.out_dir, o.force);
  // Every file is checked before anything is written.
  Manifest& m = result.manifest;
  m.tokenizer = "external";
  m.vocab_size = o.vocab_size;
  m.eot_token = o.eot_token;
  nlohmann::json files = nlohmann::json::array();
  std::vector<std::pair<fs::path, std::string>> links;  // (source, name in the dataset)
  for (const auto& src : sources) {
    Shard shard(src.path.string(), src.raw_token_bytes);
    try {
      shard.check_ids(o.vocab_size);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string(e.what()) +
                               "; pass the vocabulary these ids come from with --vocab-size");
    }
    int64_t n_docs = 0;
    for (int64_t i = 0; i < shard.n_tokens(); ++i) n_docs += shard.at(i) == o.eot_token;
    SplitEntry& split = src.val ? m.val : m.train;
    char name[64];
    std::snprintf(name, sizeof name, "%s_%06zu.bin", src.val ? "val" : "train",
                  split.shards.size());
    ShardEntry entry{name, shard.n_tokens(), file_sha256(src.path.string()), ""};
    if (src.raw_token_bytes) entry.layout = src.raw_token_bytes == 2 ? "raw-uint16" : "raw-uint32";
    split.shards.push_back(entry);
    split.n_docs += n_docs;  // end-of-document tokens (llm.c puts one before each document)
    (src.val ? m.n_val_tokens : m.n_train_tokens) += shard.n_tokens();
    links.push_back({src.path, name});
    files.push_back({{"file", name},
                     {"source", fs::absolute(src.path).string()},
                     {"token_bytes", shard.token_bytes()}});
  }
  const fs::path staged = detail::make_staging_dir(o.out_dir);
  try {
    std::vector<std::string> kinds;
    for (const auto& [from, name] : links) {
      const std::string kind = link_into(from, staged / name);
      if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
    }
    std::sort(kinds.begin(), kinds.end());
    for (const auto& k : kinds) result.link += (result.link.empty() ? "" : "+") + k;
    m.prepare = {{"from_shards", fs::absolute(o.from_dir).string()},
                 {"layout", result.layout},
                 {"link", result.link},
                 {"files", files},
                 {"vocab_size", o.vocab_size},
                 {"eot_token", o.eot_token}};
    write_manifest(staged.string(), m);
    detail::swap_in(staged, o.out_dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(staged, ec);  // links only: the source files are untouched
    throw;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace scalelab::data
