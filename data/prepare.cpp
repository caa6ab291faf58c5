#include "data/prepare.h"

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "data/bpe_train.h"
#include "data/documents.h"
#include "data/encode_pass.h"
#include "data/tokenizer.h"

namespace scalelab::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kModelFile = "tokenizer.model";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Removes the files a dataset consists of, never anything else a user keeps in the folder.
void remove_dataset_files(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const bool ours = name == "manifest.json" || name == "manifest.json.tmp" ||
                      name == kModelFile ||
                      ((name.rfind("train_", 0) == 0 || name.rfind("val_", 0) == 0) &&
                       entry.path().extension() == ".bin");
    if (ours) fs::remove(entry.path());
  }
}

// Refuses to mix a new dataset into a non-empty folder unless forced. Returns whether the folder
// was created here (so that a failed prepare can remove it again).
bool prepare_out_dir(const std::string& dir, bool force) {
  if (dir.empty()) throw std::runtime_error("--out: no output folder given");
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw std::runtime_error("output " + dir + ": exists and is not a folder");
  if (fs::exists(dir) && !fs::is_empty(dir)) {
    if (!force)
      throw std::runtime_error(
          "output " + dir +
          ": folder exists and is not empty (pass --force to replace the dataset in it)");
    remove_dataset_files(dir);
  }
  return fs::create_directories(dir);
}

// The --tokenizer and --vocab-size checks that need no work, done before anything is written.
void check_tokenizer_option(const PrepareOptions& o) {
  if (o.tokenizer == "byte") return;
  if (o.tokenizer == "bpe") {
    if (o.vocab_size < 300 || o.vocab_size > (int64_t{1} << 31))
      throw std::runtime_error(
          "--vocab-size " + std::to_string(o.vocab_size) +
          ": BPE with byte fallback needs at least 300 (256 bytes + specials + merges)");
    return;
  }
  if (fs::path(o.tokenizer).extension() != ".model")
    throw std::runtime_error("--tokenizer " + o.tokenizer +
                             ": expected byte, bpe or a SentencePiece .model file");
  if (!fs::is_regular_file(o.tokenizer))
    throw std::runtime_error("--tokenizer " + o.tokenizer + ": no such file");
}

ReaderOptions reader_options(const PrepareOptions& o, const Tokenizer* tokenizer) {
  ReaderOptions r;
  r.jsonl_field = o.jsonl_field;
  r.max_piece_bytes = o.max_piece_bytes;
  r.split_at_newlines = tokenizer ? tokenizer->splits_at_newlines() : true;
  // SentencePiece maps malformed UTF-8 to U+FFFD, which would not decode back to the input.
  r.require_utf8 = tokenizer ? tokenizer->name() != "byte" : true;
  return r;
}

// Reads the train documents once for a bounded random sample of lines, then trains BPE on it.
void train_tokenizer(const PrepareOptions& o, const std::vector<InputFile>& files,
                     int64_t total_bytes, int n_threads,
                     const std::function<void(const PrepareProgress&)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  DocumentReader reader(files, reader_options(o, nullptr));
  LineSampler sampler(o.bpe_sample_lines, o.seed);
  Piece piece;
  auto last = start;
  while (reader.next(piece)) {
    if (!is_val_doc(o.seed, piece.doc_index, o.val_fraction)) sampler.add_text(piece.text);
    if (progress && seconds_since(last) > 0.5) {
      last = std::chrono::steady_clock::now();
      progress({"sample", reader.n_input_bytes(), total_bytes, 0, seconds_since(start)});
    }
  }
  if (sampler.lines().empty())
    throw std::runtime_error("BPE training: the train split of the inputs has no text lines");
  if (progress)
    progress({"train-bpe", reader.n_input_bytes(), total_bytes, 0, seconds_since(start)});
  train_bpe(sampler.lines(), {o.vocab_size, o.seed, n_threads},
            (fs::path(o.out_dir) / kModelFile).string());
}

std::unique_ptr<Tokenizer> make_tokenizer(
    const PrepareOptions& o, const std::vector<InputFile>& files, int64_t total_bytes,
    int n_threads, const std::function<void(const PrepareProgress&)>& progress) {
  const std::string model_path = (fs::path(o.out_dir) / kModelFile).string();
  if (o.tokenizer == "byte") return make_byte_tokenizer();
  if (o.tokenizer == "bpe") {
    train_tokenizer(o, files, total_bytes, n_threads, progress);
    return load_sentencepiece(model_path, "bpe");
  }
  auto tokenizer =
      load_sentencepiece(o.tokenizer, "sentencepiece");  // fails before copying a bad model
  fs::copy_file(o.tokenizer, model_path, fs::copy_options::overwrite_existing);
  return tokenizer;
}

// Defined after prepare(), which reads better top-down.
PrepareResult build_dataset(const PrepareOptions& o, const std::vector<InputFile>& files,
                            int64_t total_bytes,
                            const std::function<void(const PrepareProgress&)>& progress);

}  // namespace

PrepareResult prepare(const PrepareOptions& o,
                      const std::function<void(const PrepareProgress&)>& progress) {
  if (o.inputs.empty()) throw std::runtime_error("--input: no inputs given");
  if (!(o.val_fraction >= 0 && o.val_fraction < 1))
    throw std::runtime_error("--val-fraction " + std::to_string(o.val_fraction) +
                             ": must be in [0, 1)");
  if (o.shard_tokens <= 0) throw std::runtime_error("shard_tokens must be positive");
  const auto files = list_input_files(o.inputs, o.include);
  if (files.empty()) {
    std::string globs;
    for (const auto& g : o.include) globs += " " + g;
    throw std::runtime_error("--input: no input files found" +
                             (globs.empty() ? "" : " matching" + globs));
  }
  int64_t total_bytes = 0;
  for (const auto& f : files) total_bytes += f.n_bytes;
  if (total_bytes == 0)
    throw std::runtime_error("--input: the " + std::to_string(files.size()) +
                             " input file(s) are empty");
  check_tokenizer_option(o);
  const bool created = prepare_out_dir(o.out_dir, o.force);
  try {
    return build_dataset(o, files, total_bytes, progress);
  } catch (...) {
    // A failed prepare leaves no half dataset behind, so a rerun needs no --force.
    try {
      remove_dataset_files(o.out_dir);
      if (created) fs::remove(o.out_dir);
    } catch (...) {
      // Cleanup is best effort: the original error is the one to report.
    }
    throw;
  }
}

namespace {

// Everything after the checks: tokenizer, encode pass, manifest.
PrepareResult build_dataset(const PrepareOptions& o, const std::vector<InputFile>& files,
                            int64_t total_bytes,
                            const std::function<void(const PrepareProgress&)>& progress) {
  PrepareResult result;
  result.n_threads =
      o.n_threads > 0 ? o.n_threads : std::max(1u, std::thread::hardware_concurrency());
  const auto tokenizer_start = std::chrono::steady_clock::now();
  auto tokenizer = make_tokenizer(o, files, total_bytes, result.n_threads, progress);
  result.tokenizer_seconds = o.tokenizer == "bpe" ? seconds_since(tokenizer_start) : 0;

  const auto start = std::chrono::steady_clock::now();
  DocumentReader reader(files, reader_options(o, tokenizer.get()));
  EncodeOptions eo;
  eo.val_fraction = o.val_fraction;
  eo.seed = o.seed;
  eo.shard_tokens = o.shard_tokens;
  eo.n_threads = result.n_threads;
  auto last = start;
  auto on_progress = [&](int64_t n_bytes, int64_t n_tokens) {
    if (!progress || seconds_since(last) < 0.5) return;
    last = std::chrono::steady_clock::now();
    progress({"encode", n_bytes, total_bytes, n_tokens, seconds_since(start)});
  };
  EncodeResult enc = encode_pass(reader, *tokenizer, eo, o.out_dir, on_progress);
  result.encode_seconds = seconds_since(start);
  result.n_input_bytes = enc.n_input_bytes;
  if (progress)
    progress({"encode", enc.n_input_bytes, total_bytes, enc.n_train_tokens + enc.n_val_tokens,
              result.encode_seconds});

  const int64_t n_docs = enc.train.n_docs + enc.val.n_docs;
  if (n_docs == 0)
    throw std::runtime_error("--input: no documents with text (" +
                             std::to_string(enc.n_skipped_empty) + " empty, " +
                             std::to_string(enc.n_skipped_invalid_utf8) + " not UTF-8)");
  if (enc.train.n_docs == 0)
    throw std::runtime_error("the train split is empty: all " + std::to_string(n_docs) +
                             " documents went to val; lower --val-fraction");
  if (o.val_fraction > 0 && enc.val.n_docs == 0)
    throw std::runtime_error("the val split is empty: none of the " + std::to_string(n_docs) +
                             " documents drew val at --val-fraction " +
                             std::to_string(o.val_fraction) +
                             "; split the input into more documents or raise --val-fraction");

  Manifest& m = result.manifest;
  m.tokenizer = tokenizer->name();
  m.tokenizer_model = tokenizer->name() == "byte" ? "" : kModelFile;
  m.vocab_size = tokenizer->vocab_size();
  m.eot_token = tokenizer->eot_token();
  m.n_train_tokens = enc.n_train_tokens;
  m.n_val_tokens = enc.n_val_tokens;
  m.train = std::move(enc.train);
  m.val = std::move(enc.val);
  m.prepare = {{"inputs", o.inputs},
               {"include", o.include},
               {"jsonl_field", o.jsonl_field},
               {"tokenizer", o.tokenizer},
               {"vocab_size_requested", o.tokenizer == "bpe" ? o.vocab_size : m.vocab_size},
               {"val_fraction", o.val_fraction},
               {"seed", o.seed},
               {"shard_tokens", o.shard_tokens},
               {"n_input_files", files.size()},
               {"n_input_bytes", enc.n_input_bytes},
               {"n_skipped_empty_docs", enc.n_skipped_empty},
               {"n_skipped_invalid_utf8_docs", enc.n_skipped_invalid_utf8},
               {"eot_position", "before each document (llm.c convention)"}};
  write_manifest(o.out_dir, m);
  return result;
}

}  // namespace

}  // namespace scalelab::data
