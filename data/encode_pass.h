// The parallel encode pass of prepare: one reader thread streams pieces of documents, every core
// encodes batches of them, and the calling thread writes the results in input order, so the
// shards are identical whatever the thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/documents.h"
#include "data/manifest.h"
#include "data/tokenizer.h"

namespace scalelab::data {

// Deterministic train/val assignment of a document: a hash of (seed, document index) compared with
// val_fraction, so the split depends on neither thread count nor chunking.
bool is_val_doc(uint64_t seed, int64_t doc_index, double val_fraction);

struct EncodeOptions {
  double val_fraction = 0.05;
  uint64_t seed = 0;
  int64_t shard_tokens = 100'000'000;  // tokens per shard file (llm.c uses 100M)
  int n_threads = 1;                   // encoding threads
  int64_t batch_bytes = 1 << 20;       // text per work item
};

struct EncodeResult {
  SplitEntry train, val;
  // Documents written per split ([0] train, [1] val) per input file (the reader's file index).
  std::vector<int64_t> n_docs_by_file[2];
  int64_t n_train_tokens = 0, n_val_tokens = 0;
  int64_t n_input_bytes = 0;
  int64_t n_skipped_empty = 0, n_skipped_invalid_utf8 = 0;
};

// Progress: input bytes consumed and tokens written so far.
using EncodeProgress = std::function<void(int64_t n_input_bytes, int64_t n_tokens)>;

EncodeResult encode_pass(DocumentReader& reader, const Tokenizer& tokenizer,
                         const EncodeOptions& options, const std::string& out_dir,
                         const EncodeProgress& progress);

// For inputs with too few documents to split by document (one file, or none drew val at
// val_fraction): the one non-empty split's token stream, in input order, is cut within each
// document, its last val_fraction of tokens becoming val, so that val holds text of every
// document (and so of every file) rather than the end of the last one. The val tokens per document
// are rounded cumulatively (round(f * end) - round(f * start)), so they add up to
// round(f * total); a document keeps at least its first token (the end-of-document token) in
// train, and val gets at least one token. One document is nanoGPT's split of a single text file:
// the last val_fraction of the tokens. Rewrites the shards in out_dir and the splits of `enc`
// (documents counted by where they begin, so val counts none; bytes in proportion); returns the
// val tokens of each document in input order. Throws when there are fewer than two tokens.
std::vector<int64_t> split_within_documents(const std::string& out_dir, EncodeResult& enc,
                                            double val_fraction, int64_t shard_tokens,
                                            int token_bytes, uint32_t eot_token);

}  // namespace scalelab::data
