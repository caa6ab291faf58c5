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

}  // namespace scalelab::data
