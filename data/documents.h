// Input documents for prepare: files, folders (recursive, filtered by globs) and JSONL files.
// Each plain file is one document; each JSONL line is one document (its text field). The reader
// streams them in a fixed order, cut into pieces of bounded size, so memory never grows with the
// input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::data {

struct InputFile {
  std::string path;
  int64_t n_bytes = 0;  // text bytes: for gzip, the size its trailer records (mod 2^32)
  bool jsonl = false;   // by extension: .jsonl or .jsonl.gz
  bool gzip = false;    // by content (gzip magic), whatever the extension
};

// A text input file, plain or gzip-compressed, read in blocks or by lines. Errors name the file.
class TextFile {
 public:
  TextFile() = default;
  ~TextFile() { close(); }
  TextFile(const TextFile&) = delete;
  TextFile& operator=(const TextFile&) = delete;

  void open(const std::string& path, bool gzip);
  size_t read(char* out, size_t n);  // fewer than n only at the end of the file
  bool getline(std::string& line);   // without the newline; false at the end
  void close();
  bool is_open() const { return file_ || gz_; }

 private:
  size_t read_raw(char* out, size_t n);
  std::string path_;
  std::FILE* file_ = nullptr;
  void* gz_ = nullptr;  // gzFile
  std::string buf_;     // read ahead by getline
  size_t pos_ = 0;
  bool eof_ = false;
};

// Files named directly are taken as they are; folders are walked recursively (hidden entries
// skipped), keeping files whose name matches one of `include` (fnmatch globs such as '*.py'; a
// glob with a '/' matches the path below the folder instead). No globs = every file. The result is
// sorted per input, so the document order (and the train/val split) is reproducible.
// Every file is checked to be text: a NUL byte in its first 8 KB (after gunzip) is binary input,
// an error naming the file (an llm.c shard gets a pointer to `prepare --from-shards`).
std::vector<InputFile> list_input_files(const std::vector<std::string>& inputs,
                                        const std::vector<std::string>& include);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool is_utf8(std::string_view text);

struct Piece {
  int64_t doc_index = 0;  // position of the document in the input order
  bool doc_begin = false;
  std::string text;
  int64_t file_index = 0;  // the input file it comes from (index into the reader's files)
};

struct ReaderOptions {
  std::string jsonl_field = "text";
  int64_t max_piece_bytes = 1 << 20;
  bool split_at_newlines = true;  // may a document be cut into pieces (at line ends)?
  bool require_utf8 = false;      // skip (and count) documents that are not valid UTF-8
};

class DocumentReader {
 public:
  DocumentReader(std::vector<InputFile> files, ReaderOptions options);
  // The next piece of text in input order; false once everything is read.
  bool next(Piece& piece);

  int64_t n_input_bytes() const { return n_input_bytes_; }  // file bytes consumed so far
  int64_t n_docs() const { return n_docs_; }                // documents handed out
  int64_t n_skipped_empty() const { return n_skipped_empty_; }
  int64_t n_skipped_invalid_utf8() const { return n_skipped_invalid_utf8_; }

 private:
  bool load_more();  // queues pieces of the next document(s); false at the end
  void queue_document(std::string text);
  bool next_stream_piece(Piece& piece);
  bool file_is_utf8(const InputFile& file);

  std::vector<InputFile> files_;
  ReaderOptions options_;
  size_t next_file_ = 0;
  int64_t next_doc_index_ = 0;
  std::deque<Piece> pending_;
  // An open JSONL file, or a large plain file streamed piece by piece.
  TextFile in_;
  bool in_jsonl_ = false, in_stream_ = false;
  std::string jsonl_path_;
  int64_t jsonl_line_ = 0;
  std::string carry_;  // streamed text read but not yet handed out
  int64_t stream_doc_ = 0;
  bool stream_first_ = true;
  int64_t n_input_bytes_ = 0, n_docs_ = 0, n_skipped_empty_ = 0, n_skipped_invalid_utf8_ = 0;
};

}  // namespace scalelab::data
