// manifest.json: what a dataset folder holds (tokenizer, vocabulary, shards per split, counts and
// checksums). Written by prepare, read by the loaders.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace scalelab::data {

struct ShardEntry {
  std::string file;  // relative to the dataset folder
  int64_t n_tokens = 0;
  std::string sha256;  // hex; empty = not recorded (hand-written manifests for llm.c shards)
  std::string layout;  // "" = llm.c header; "raw-uint16" / "raw-uint32" = headerless (nanoGPT)
};

struct SplitEntry {
  int64_t n_docs = 0;
  int64_t n_bytes = 0;  // input text bytes that went into this split
  std::vector<ShardEntry> shards;
};

struct Manifest {
  // "byte" | "bpe" | "sentencepiece"; "external" = ids from a tokenizer outside scalelab (e.g.
  // llm.c's GPT-2 shards with a hand-written manifest): the loaders need only vocab_size and
  // eot_token.
  std::string tokenizer;
  std::string tokenizer_model;  // file in the dataset folder; empty for byte and external
  int64_t vocab_size = 0;
  int64_t eot_token = 0;
  int64_t n_train_tokens = 0, n_val_tokens = 0;
  SplitEntry train, val;
  nlohmann::json prepare = nlohmann::json::object();  // inputs and options, for the record
};

constexpr int kManifestVersion = 1;

// Errors name the folder and the field: missing folder, missing or corrupt manifest.json, token
// counts that disagree with the shard list.
Manifest read_manifest(const std::string& dataset_dir);
void write_manifest(const std::string& dataset_dir, const Manifest& manifest);

std::string file_sha256(const std::string& path);
// Recomputes each shard's sha256 and throws naming the first file that differs.
void verify_checksums(const std::string& dataset_dir, const Manifest& manifest);

// The cache of verified checksums in a dataset folder: shard file -> the size, mtime, inode and
// manifest digest it had when its sha256 last matched. Not part of the dataset's contract; delete
// it to force a full recheck.
constexpr const char* kVerifiedStampFile = ".verified.json";

struct ChecksumReport {
  std::string dataset_dir;
  int n_hashed = 0;  // shards whose sha256 was computed by this call
  int n_cached = 0;  // shards the stamp vouched for (same size, mtime, inode and digest)
  int64_t n_bytes_hashed = 0;
  double seconds = 0;          // wall time spent hashing
  bool stamp_written = false;  // false when nothing new was verified or the folder is read-only
  // Worth logging once the check took about a second or more (only a first open does).
  bool slow() const { return seconds >= 1.0; }
  // "dataset D: checked the sha256 of 3 shard(s), 1.20 GB, in 2.3 s; later opens skip them
  // (.verified.json)"
  std::string summary() const;
};

// What the loaders run on open: checks every shard with a recorded sha256 against the file,
// skipping those the stamp vouches for, hashing the rest on up to n_threads threads (0 = every
// core), and records the ones that match in the stamp (skipped silently when the folder is
// read-only). Throws, for the first shard in list order that differs, one line naming the file,
// both digests and `scalelab prepare`.
ChecksumReport verify_checksums_cached(const std::string& dataset_dir,
                                       const std::vector<ShardEntry>& shards, int n_threads = 0);

}  // namespace scalelab::data
