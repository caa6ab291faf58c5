// prepare: text in, dataset folder out (shards, tokenizer model, manifest.json).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/manifest.h"

namespace scalelab::data {

struct PrepareOptions {
  std::vector<std::string> inputs;   // files, folders, .jsonl files
  std::vector<std::string> include;  // globs for files inside folders, e.g. "*.py"
  std::string jsonl_field = "text";
  std::string out_dir;
  std::string tokenizer = "byte";  // "byte" | "bpe" | path to a SentencePiece .model
  int64_t vocab_size = 4096;       // bpe only
  double val_fraction = 0.05;
  uint64_t seed = 0;
  bool force = false;  // replace an existing dataset in out_dir (other files there are kept)
  int n_threads = 0;   // 0 = every core
  int64_t shard_tokens = 100'000'000;
  int64_t bpe_sample_lines = 1'000'000;  // lines sampled from the train split to train BPE
  int64_t max_piece_bytes = 1 << 20;     // large documents are encoded in pieces of this size
};

struct PrepareProgress {
  std::string stage;  // "sample" (reading text for BPE), "train-bpe", "encode"
  int64_t n_input_bytes = 0, n_total_bytes = 0, n_tokens = 0;
  double seconds = 0;  // since the stage began
};

struct PrepareResult {
  Manifest manifest;
  int64_t n_input_bytes = 0;
  double tokenizer_seconds = 0;  // sampling + BPE training (0 for byte or a given model)
  double encode_seconds = 0;     // the encode pass: read, encode, write, checksum
  int n_threads = 0;
  // "document" (each document to train or val by a seeded hash) or "position" (too few documents
  // for that: the last val_fraction of the tokens became val); `split_note` says so in a sentence.
  std::string split = "document";
  std::string split_note;
};

// Throws with a message naming the bad input: missing inputs, an empty or binary file, no text,
// an existing dataset without force, a val_fraction outside (0, 1), an empty train split, a
// tokenizer that fails to train or load. The dataset is built in a sibling `<out_dir>.tmp-<pid>`
// and moved into out_dir only when complete, so a failure leaves an existing dataset as it was.
PrepareResult prepare(const PrepareOptions& options,
                      const std::function<void(const PrepareProgress&)>& progress = {});

}  // namespace scalelab::data
