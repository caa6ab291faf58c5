#include "data/encode_pass.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "data/sampling.h"
#include "data/shard.h"

namespace scalelab::data {

bool is_val_doc(uint64_t seed, int64_t doc_index, double val_fraction) {
  const double u = static_cast<double>(hash3(seed, doc_index, 0x76616c) >> 11) * 0x1p-53;  // [0, 1)
  return u < val_fraction;
}

namespace {

struct Batch {
  std::vector<Piece> pieces;
  int64_t n_input_bytes = 0;  // reader position when the batch was cut, for progress
};

struct Encoded {
  std::vector<uint32_t> tokens[2];  // [0] train, [1] val
  int64_t n_docs[2] = {0, 0};
  std::vector<std::pair<int, int64_t>> doc_files;  // (split, file index) of each document begun
  int64_t n_bytes[2] = {0, 0};
  int64_t n_input_bytes = 0;
};

// Appends a split's tokens to numbered shards, starting a new file every shard_tokens tokens.
class SplitWriter {
 public:
  SplitWriter(std::string dir, std::string prefix, int token_bytes, int64_t shard_tokens)
      : dir_(std::move(dir)),
        prefix_(std::move(prefix)),
        token_bytes_(token_bytes),
        shard_tokens_(shard_tokens) {}

  void append(const uint32_t* tokens, int64_t n) {
    while (n > 0) {
      if (!writer_) open_next();
      const int64_t take = std::min(n, shard_tokens_ - writer_->n_tokens());
      writer_->append(tokens, take);
      tokens += take, n -= take, n_tokens_ += take;
      if (writer_->n_tokens() == shard_tokens_) close();
    }
  }
  // Closes the last shard and records every shard's entry (checksums included).
  std::vector<ShardEntry> finish() {
    close();
    for (auto& entry : shards_)
      entry.sha256 = file_sha256((std::filesystem::path(dir_) / entry.file).string());
    return shards_;
  }
  int64_t n_tokens() const { return n_tokens_; }

 private:
  void open_next() {
    char name[64];
    std::snprintf(name, sizeof name, "%s_%06zu.bin", prefix_.c_str(), shards_.size());
    shards_.push_back({name, 0, ""});
    writer_ =
        std::make_unique<ShardWriter>((std::filesystem::path(dir_) / name).string(), token_bytes_);
  }
  void close() {
    if (!writer_) return;
    writer_->close();
    shards_.back().n_tokens = writer_->n_tokens();
    writer_.reset();
  }

  std::string dir_, prefix_;
  int token_bytes_;
  int64_t shard_tokens_;
  int64_t n_tokens_ = 0;
  std::unique_ptr<ShardWriter> writer_;
  std::vector<ShardEntry> shards_;
};

// Shared state of the reader, the encoders and the writer.
struct Pipeline {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<int64_t, Batch> todo;    // by sequence number
  std::map<int64_t, Encoded> done;  // by sequence number, waiting for their turn to be written
  int64_t n_batches = 0;            // batches the reader has produced
  int64_t n_written = 0;            // batches written; the next one to write
  bool reader_done = false;
  std::exception_ptr error;
  int64_t max_in_flight = 8;

  void fail(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!error) error = e;
    changed.notify_all();
  }
};

Encoded encode_batch(const Batch& batch, const Tokenizer& tokenizer, const EncodeOptions& options) {
  Encoded out;
  out.n_input_bytes = batch.n_input_bytes;
  const auto eot = static_cast<uint32_t>(tokenizer.eot_token());
  for (const auto& piece : batch.pieces) {
    const int split = is_val_doc(options.seed, piece.doc_index, options.val_fraction) ? 1 : 0;
    // llm.c's convention: the end-of-document token opens every document.
    if (piece.doc_begin) {
      out.tokens[split].push_back(eot);
      ++out.n_docs[split];
      out.doc_files.emplace_back(split, piece.file_index);
    }
    tokenizer.encode(piece.text, out.tokens[split]);
    out.n_bytes[split] += static_cast<int64_t>(piece.text.size());
  }
  return out;
}

void read_batches(DocumentReader& reader, Pipeline& p, const EncodeOptions& options) {
  Batch batch;
  int64_t batch_bytes = 0;
  auto push = [&](bool last) {
    std::unique_lock<std::mutex> lock(p.mutex);
    if (!batch.pieces.empty()) {
      p.changed.wait(lock, [&] { return p.error || p.n_batches - p.n_written < p.max_in_flight; });
      if (p.error) return false;
      batch.n_input_bytes = reader.n_input_bytes();
      p.todo.emplace(p.n_batches++, std::move(batch));
    }
    p.reader_done = last;
    p.changed.notify_all();
    batch = Batch{};
    batch_bytes = 0;
    return true;
  };
  Piece piece;
  while (reader.next(piece)) {
    batch_bytes += static_cast<int64_t>(piece.text.size());
    batch.pieces.push_back(std::move(piece));
    if (batch_bytes >= options.batch_bytes && !push(false)) return;
  }
  push(true);
}

void encode_batches(Pipeline& p, const Tokenizer& tokenizer, const EncodeOptions& options) {
  while (true) {
    std::unique_lock<std::mutex> lock(p.mutex);
    p.changed.wait(lock, [&] { return p.error || !p.todo.empty() || p.reader_done; });
    if (p.error || p.todo.empty()) return;  // failed, or nothing left to encode
    auto node = p.todo.extract(p.todo.begin());
    lock.unlock();
    Encoded encoded = encode_batch(node.mapped(), tokenizer, options);
    lock.lock();
    p.done.emplace(node.key(), std::move(encoded));
    p.changed.notify_all();
  }
}

}  // namespace

EncodeResult encode_pass(DocumentReader& reader, const Tokenizer& tokenizer,
                         const EncodeOptions& options, const std::string& out_dir,
                         const EncodeProgress& progress) {
  const int token_bytes = token_bytes_for_vocab(tokenizer.vocab_size());
  SplitWriter writers[2] = {SplitWriter(out_dir, "train", token_bytes, options.shard_tokens),
                            SplitWriter(out_dir, "val", token_bytes, options.shard_tokens)};
  EncodeResult result;
  Pipeline p;
  const int n_threads = std::max(1, options.n_threads);
  p.max_in_flight = 4 * n_threads;  // bounds memory: in-flight text and tokens, a few MB each
  auto guarded = [&p](auto&& fn) {
    return [&p, fn] {
      try {
        fn();
      } catch (...) {
        p.fail(std::current_exception());
      }
    };
  };
  std::vector<std::thread> threads;
  threads.emplace_back(guarded([&] { read_batches(reader, p, options); }));
  for (int i = 0; i < n_threads; ++i)
    threads.emplace_back(guarded([&] { encode_batches(p, tokenizer, options); }));
  // This thread writes, in sequence order.
  try {
    while (true) {
      std::unique_lock<std::mutex> lock(p.mutex);
      p.changed.wait(lock, [&] {
        return p.error || p.done.count(p.n_written) ||
               (p.reader_done && p.n_written == p.n_batches);
      });
      if (p.error || !p.done.count(p.n_written)) break;
      Encoded encoded = std::move(p.done.extract(p.n_written).mapped());
      lock.unlock();
      for (int s = 0; s < 2; ++s) {
        writers[s].append(encoded.tokens[s].data(), static_cast<int64_t>(encoded.tokens[s].size()));
        SplitEntry& split = s == 0 ? result.train : result.val;
        split.n_docs += encoded.n_docs[s];
        split.n_bytes += encoded.n_bytes[s];
      }
      for (const auto& [s, file] : encoded.doc_files) {
        auto& counts = result.n_docs_by_file[s];
        if (static_cast<int64_t>(counts.size()) <= file) counts.resize(size_t(file) + 1, 0);
        ++counts[size_t(file)];
      }
      lock.lock();
      ++p.n_written;
      p.changed.notify_all();
      lock.unlock();
      if (progress) progress(encoded.n_input_bytes, writers[0].n_tokens() + writers[1].n_tokens());
    }
  } catch (...) {
    p.fail(std::current_exception());
  }
  for (auto& t : threads) t.join();
  if (p.error) std::rethrow_exception(p.error);
  result.n_train_tokens = writers[0].n_tokens();
  result.n_val_tokens = writers[1].n_tokens();
  result.train.shards = writers[0].finish();
  result.val.shards = writers[1].finish();
  result.n_input_bytes = reader.n_input_bytes();
  result.n_skipped_empty = reader.n_skipped_empty();
  result.n_skipped_invalid_utf8 = reader.n_skipped_invalid_utf8();
  return result;
}

namespace {

// Where each document of a token stream starts (its end-of-document token), then the total.
std::vector<int64_t> document_starts(const std::vector<std::string>& stream, uint32_t eot_token) {
  std::vector<int64_t> starts;
  int64_t position = 0;
  for (const auto& path : stream) {
    Shard shard(path);
    for (int64_t i = 0; i < shard.n_tokens(); ++i)
      if (shard.at(i) == eot_token) starts.push_back(position + i);
    position += shard.n_tokens();
  }
  if (starts.empty() || starts.front() != 0) starts.insert(starts.begin(), 0);
  starts.push_back(position);
  return starts;
}

// The val tokens of each document: its share of round(f * total), rounded cumulatively.
std::vector<int64_t> val_tokens_per_document(const std::vector<int64_t>& starts, double f) {
  const size_t n_docs = starts.size() - 1;
  std::vector<int64_t> val(n_docs);
  auto rounded = [f](int64_t t) { return std::llround(static_cast<double>(t) * f); };
  int64_t total = 0;
  for (size_t d = 0; d < n_docs; ++d) {
    const int64_t length = starts[d + 1] - starts[d];
    val[d] = std::clamp<int64_t>(rounded(starts[d + 1]) - rounded(starts[d]), 0, length - 1);
    total += val[d];
  }
  for (size_t d = n_docs; total == 0 && d-- > 0;)  // at least one val token
    if (starts[d + 1] - starts[d] > 1) val[d] = 1, total = 1;
  return val;
}

}  // namespace

std::vector<int64_t> split_within_documents(const std::string& out_dir, EncodeResult& enc,
                                            double val_fraction, int64_t shard_tokens,
                                            int token_bytes, uint32_t eot_token) {
  namespace fs = std::filesystem;
  const bool from_train = enc.val.shards.empty() || enc.n_val_tokens == 0;
  SplitEntry source = from_train ? enc.train : enc.val;
  const int64_t n_total = enc.n_train_tokens + enc.n_val_tokens;
  if (n_total < 2)
    throw std::runtime_error("the input has " + std::to_string(n_total) +
                             " token(s), too few to split into train and val");
  // Move the stream's shards aside, then copy them into new train and val shards.
  std::vector<std::string> stream;
  for (size_t i = 0; i < source.shards.size(); ++i) {
    const std::string to = (fs::path(out_dir) / ("stream_" + std::to_string(i) + ".bin")).string();
    fs::rename(fs::path(out_dir) / source.shards[i].file, to);
    stream.push_back(to);
  }
  for (const auto& other : (from_train ? enc.val : enc.train).shards)
    fs::remove(fs::path(out_dir) / other.file);  // empty shards of the other split
  const std::vector<int64_t> starts = document_starts(stream, eot_token);
  const std::vector<int64_t> val = val_tokens_per_document(starts, val_fraction);
  SplitWriter writers[2] = {SplitWriter(out_dir, "train", token_bytes, shard_tokens),
                            SplitWriter(out_dir, "val", token_bytes, shard_tokens)};
  int64_t n_docs[2] = {0, 0}, position = 0;
  size_t doc = 0;  // the document holding `position`
  std::vector<uint32_t> runs[2];
  for (const auto& path : stream) {
    {
      Shard shard(path);
      for (int64_t i = 0; i < shard.n_tokens(); ++i, ++position) {
        while (position >= starts[doc + 1]) ++doc;
        const int s = position < starts[doc + 1] - val[doc] ? 0 : 1;
        const uint32_t t = shard.at(i);
        n_docs[s] += t == eot_token;
        runs[s].push_back(t);
        if (runs[s].size() >= (1u << 20)) {
          writers[s].append(runs[s].data(), static_cast<int64_t>(runs[s].size()));
          runs[s].clear();
        }
      }
    }
    fs::remove(path);
  }
  for (int s = 0; s < 2; ++s) writers[s].append(runs[s].data(), int64_t(runs[s].size()));
  const int64_t n_val = writers[1].n_tokens(), n_bytes = enc.train.n_bytes + enc.val.n_bytes;
  const int64_t val_bytes =
      std::llround(static_cast<double>(n_bytes) * static_cast<double>(n_val) / n_total);
  auto docs_by_file = enc.n_docs_by_file[from_train ? 0 : 1];
  enc.train = SplitEntry{n_docs[0], n_bytes - val_bytes, writers[0].finish()};
  enc.val = SplitEntry{n_docs[1], val_bytes, writers[1].finish()};
  enc.n_train_tokens = writers[0].n_tokens();
  enc.n_val_tokens = n_val;
  enc.n_docs_by_file[0] = std::move(docs_by_file);  // every document begins in train now
  enc.n_docs_by_file[1].clear();
  return val;
}

}  // namespace scalelab::data
