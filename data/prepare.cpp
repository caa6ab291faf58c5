#include "data/prepare.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "common/checked_io.h"
#include "common/staged_folder.h"
#include "data/bpe_train.h"
#include "data/dataset_dir.h"
#include "data/documents.h"
#include "data/encode_pass.h"
#include "data/shard.h"
#include "data/tokenizer.h"

namespace scalelab::data {

namespace fs = std::filesystem;

namespace {

constexpr const char* kModelFile = "tokenizer.model";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

namespace detail {

// The files a dataset consists of: what --force replaces, never anything else a user keeps in the
// folder.
bool is_dataset_file(const fs::path& p) {
  const std::string name = p.filename().string();
  return name == "manifest.json" || is_temporary_of(name, "manifest.json") || name == kModelFile ||
         name.rfind(kVerifiedStampFile, 0) == 0 ||
         ((name.rfind("train_", 0) == 0 || name.rfind("val_", 0) == 0) && p.extension() == ".bin");
}

// Refuses to mix a new dataset into a non-empty folder unless forced. Nothing is written here.
void check_out_dir(const std::string& dir, bool force) {
  if (dir.empty()) throw std::runtime_error("--out: no output folder given");
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw std::runtime_error("output " + dir + ": exists and is not a folder");
  if (fs::exists(dir) && !fs::is_empty(dir) && !force)
    throw std::runtime_error(
        "output " + dir +
        ": folder exists and is not empty (pass --force to replace the dataset in it)");
}

void swap_in(const fs::path& staged, const fs::path& out) {
  scalelab::swap_in(staged, out, is_dataset_file, "manifest.json");
}

fs::path make_staging_dir(const std::string& out) {
  return scalelab::make_staging_dir(out, "the dataset");
}

}  // namespace detail

namespace {

using detail::check_out_dir;
using detail::swap_in;

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
  if (sampler.lines().empty()) {
    // Too few documents for a split by document (e.g. one file that drew val): prepare will split
    // by position, so the tokenizer learns from every document.
    DocumentReader all(files, reader_options(o, nullptr));
    while (all.next(piece)) sampler.add_text(piece.text);
  }
  if (sampler.lines().empty())
    throw std::runtime_error("BPE training: the inputs have no text lines");
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
  if (o.val_fraction == 0)
    throw std::runtime_error(
        "--val-fraction 0: a dataset needs validation tokens (`scalelab train` evaluates on them, "
        "and fits use their loss); give a fraction in (0, 1), e.g. 0.05");
  if (!(o.val_fraction > 0 && o.val_fraction < 1))
    throw std::runtime_error("--val-fraction " + std::to_string(o.val_fraction) +
                             ": must be in (0, 1)");
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
    throw std::runtime_error(files.size() == 1
                                 ? "input " + files[0].path + ": the file is empty"
                                 : "--input: the " + std::to_string(files.size()) +
                                       " input file(s) are empty (" + files[0].path + ", ...)");
  check_tokenizer_option(o);
  check_out_dir(o.out_dir, o.force);
  // Built aside and swapped in at the end: a prepare that fails (BPE training, an empty split, a
  // full disk) leaves the old dataset as it was and no half dataset behind, so a rerun needs no
  // --force, and a --tokenizer model inside out is still there to read.
  const fs::path staged = detail::make_staging_dir(o.out_dir);
  try {
    PrepareOptions in_staging = o;
    in_staging.out_dir = staged.string();
    PrepareResult result = build_dataset(in_staging, files, total_bytes, progress);
    swap_in(staged, o.out_dir);
    return result;
  } catch (...) {
    std::error_code ec;  // best effort: the original error is the one to report
    fs::remove_all(staged, ec);
    throw;
  }
}

namespace {

// "a.txt, b.txt, c.txt and 3 more" for the files with a non-zero count.
std::string some_files(const std::vector<InputFile>& files, const std::vector<int64_t>& counts) {
  std::vector<std::string> names;
  for (size_t f = 0; f < counts.size() && f < files.size(); ++f)
    if (counts[f] > 0) names.push_back(files[f].path);
  std::string text;
  for (size_t i = 0; i < names.size() && i < 3; ++i) text += (i ? ", " : "") + names[i];
  if (names.size() > 3) text += " and " + std::to_string(names.size() - 3) + " more";
  return text;
}

int64_t count_nonzero(const std::vector<int64_t>& counts) {
  return std::count_if(counts.begin(), counts.end(), [](int64_t n) { return n > 0; });
}

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g%%", 100 * fraction);
  return text;
}

// Where val came from, after a split by document: how many documents, from how many files.
std::string document_split_note(const std::vector<InputFile>& files, const EncodeResult& enc) {
  const auto& val = enc.n_docs_by_file[1];
  const int64_t val_files = count_nonzero(val);
  return "split by document: " + std::to_string(enc.val.n_docs) + " of " +
         std::to_string(enc.train.n_docs + enc.val.n_docs) + " documents are val, from " +
         std::to_string(val_files) + " of " + std::to_string(files.size()) + " file(s)" +
         (val_files > 0 && val_files <= 3 ? " (" + some_files(files, val) + ")" : "");
}

// Where val came from, after a split within documents (split_within_documents): one document is
// split by position, several each give their tail.
std::string within_documents_note(const PrepareOptions& o, const std::vector<InputFile>& files,
                                  const EncodeResult& enc, const std::vector<int64_t>& val_by_doc,
                                  bool none_drew_val) {
  char fraction[32];
  std::snprintf(fraction, sizeof fraction, "%g", o.val_fraction);
  const int64_t n_docs = static_cast<int64_t>(val_by_doc.size());
  const std::string why = std::to_string(n_docs) + " document(s) " +
                          (none_drew_val ? "drew no val" : "drew no train") +
                          " at --val-fraction " + fraction;
  // Val tokens per file: documents are in input order, files too.
  std::vector<int64_t> val_by_file(enc.n_docs_by_file[0].size(), 0);
  size_t doc = 0;
  for (size_t f = 0; f < val_by_file.size(); ++f)
    for (int64_t k = 0; k < enc.n_docs_by_file[0][f] && doc < val_by_doc.size(); ++k)
      val_by_file[f] += val_by_doc[doc++];
  const std::string where = some_files(files, val_by_file);
  if (n_docs == 1)
    return "split by position: " + why + ", so the last " + percent(o.val_fraction) +
           " of the tokens (" + std::to_string(enc.n_val_tokens) + ") are val: the end of " + where;
  return "split within documents: " + why + ", so the last " + percent(o.val_fraction) +
         " of each document's tokens are val (" + std::to_string(enc.n_val_tokens) +
         " tokens from " + std::to_string(count_nonzero(val_by_doc)) + " documents in " +
         std::to_string(count_nonzero(val_by_file)) + " file(s): " + where + ")";
}

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
    throw std::runtime_error(
        (files.size() == 1 ? "input " + files[0].path : std::string("--input")) +
        ": no documents with text (" + std::to_string(enc.n_skipped_empty) + " empty, " +
        std::to_string(enc.n_skipped_invalid_utf8) + " not UTF-8" +
        (enc.n_skipped_invalid_utf8 > 0 ? ", which --tokenizer byte would keep" : "") + ")");
  if (enc.train.n_docs == 0 || enc.val.n_docs == 0) {
    // Too few documents for a split by document (one file, say): split within documents.
    const bool none_drew_val = enc.val.n_docs == 0;
    const auto val_by_doc = split_within_documents(o.out_dir, enc, o.val_fraction, o.shard_tokens,
                                                   token_bytes_for_vocab(tokenizer->vocab_size()),
                                                   static_cast<uint32_t>(tokenizer->eot_token()));
    result.split = n_docs == 1 ? "position" : "within-documents";
    result.split_note = within_documents_note(o, files, enc, val_by_doc, none_drew_val);
  } else {
    result.split_note = document_split_note(files, enc);
  }
  if (enc.n_train_tokens == 0)
    throw std::runtime_error("the train split is empty: all " + std::to_string(n_docs) +
                             " documents went to val; lower --val-fraction");

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
               {"split", result.split},
               {"eot_position", "before each document (llm.c convention)"}};
  if (!result.split_note.empty()) m.prepare["split_note"] = result.split_note;
  write_manifest(o.out_dir, m);
  return result;
}

}  // namespace

}  // namespace scalelab::data
