#include "data/documents.h"

#include <fnmatch.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace scalelab::data {

namespace fs = std::filesystem;

namespace {

bool matches(const std::vector<std::string>& globs, const fs::path& rel) {
  if (globs.empty()) return true;
  for (const auto& glob : globs) {
    const std::string subject =
        glob.find('/') != std::string::npos ? rel.generic_string() : rel.filename().string();
    if (::fnmatch(glob.c_str(), subject.c_str(), 0) == 0) return true;
  }
  return false;
}

bool is_hidden(const fs::path& p) {
  return p.filename().string().rfind('.', 0) == 0;
}

// Moves pos back (at most 3 bytes) so that it does not split a UTF-8 character.
size_t char_boundary(std::string_view s, size_t pos) {
  for (int i = 0;
       i < 3 && pos > 0 && pos < s.size() && (static_cast<unsigned char>(s[pos]) & 0xC0) == 0x80;
       ++i)
    --pos;
  return pos;
}

// Where to end a piece of at most max_bytes: after the last newline, else at a character boundary.
size_t piece_end(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s.size();
  const size_t newline = s.rfind('\n', max_bytes - 1);
  if (newline != std::string_view::npos) return newline + 1;
  const size_t cut = char_boundary(s, max_bytes);
  return cut > 0 ? cut : max_bytes;
}

bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The first bytes of a file (raw, not decompressed).
std::string head_bytes(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

// gzip's trailer holds the uncompressed size mod 2^32: good enough for progress and the
// empty-input check.
int64_t gzip_text_size(const std::string& path, int64_t file_bytes) {
  if (file_bytes < 18) return 0;
  std::ifstream in(path, std::ios::binary);
  in.seekg(file_bytes - 4);
  unsigned char b[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(b), 4);
  return int64_t{b[0]} | int64_t{b[1]} << 8 | int64_t{b[2]} << 16 | int64_t{b[3]} << 24;
}

// Refuses a file that is not text, naming it: a NUL byte in the first 8 KB (git's heuristic).
void check_is_text(const InputFile& file) {
  std::string head(8192, '\0');
  {
    TextFile in;
    in.open(file.path, file.gzip);
    head.resize(in.read(head.data(), head.size()));
  }
  const size_t nul = head.find('\0');
  if (nul == std::string::npos) return;
  int32_t magic = 0;
  if (head.size() >= 4) std::memcpy(&magic, head.data(), 4);
  const bool shard = magic == 20240520 || magic == 20240801;
  throw std::runtime_error(
      "input " + file.path + ": binary file (a NUL byte at offset " + std::to_string(nul) +
      "), not text; prepare reads UTF-8 text, .jsonl and .gz" +
      (shard ? "; this looks like an llm.c token shard: import its folder with `scalelab prepare "
               "--from-shards DIR`"
             : "; for token files use `scalelab prepare --from-shards DIR`, for a folder pick the "
               "text files with --include"));
}

}  // namespace

void TextFile::open(const std::string& path, bool gzip) {
  close();
  path_ = path;
  buf_.clear();
  pos_ = 0;
  eof_ = false;
  if (gzip) {
    gz_ = ::gzopen(path.c_str(), "rb");
    if (gz_) ::gzbuffer(static_cast<gzFile>(gz_), 1 << 17);
  } else {
    file_ = std::fopen(path.c_str(), "rb");
  }
  if (!is_open())
    throw std::runtime_error("input " + path + ": cannot open: " + std::strerror(errno));
}

void TextFile::close() {
  if (file_) std::fclose(file_);
  if (gz_) ::gzclose(static_cast<gzFile>(gz_));
  file_ = nullptr;
  gz_ = nullptr;
}

size_t TextFile::read_raw(char* out, size_t n) {
  size_t got = 0;
  while (got < n && !eof_) {
    if (file_) {
      const size_t r = std::fread(out + got, 1, n - got, file_);
      got += r;
      if (r == 0) {
        if (std::ferror(file_)) throw std::runtime_error("input " + path_ + ": read error");
        eof_ = true;
      }
    } else {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, 1 << 30));
      const int r = ::gzread(static_cast<gzFile>(gz_), out + got, chunk);
      if (r < 0) {
        int code = 0;
        const char* msg = ::gzerror(static_cast<gzFile>(gz_), &code);
        throw std::runtime_error("input " + path_ + ": corrupt gzip data (" +
                                 (msg ? msg : "unknown error") + ")");
      }
      got += static_cast<size_t>(r);
      if (r == 0) eof_ = true;
    }
  }
  return got;
}

size_t TextFile::read(char* out, size_t n) {
  size_t got = 0;
  if (pos_ < buf_.size()) {  // what getline read ahead comes first
    got = std::min(n, buf_.size() - pos_);
    std::memcpy(out, buf_.data() + pos_, got);
    pos_ += got;
  }
  return got + read_raw(out + got, n - got);
}

bool TextFile::getline(std::string& line) {
  line.clear();
  while (true) {
    const size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      line.append(buf_, pos_, nl - pos_);
      pos_ = nl + 1;
      return true;
    }
    line.append(buf_, pos_, std::string::npos);
    buf_.resize(1 << 16);
    buf_.resize(read_raw(buf_.data(), buf_.size()));
    pos_ = 0;
    if (buf_.empty()) return !line.empty();
  }
}

std::vector<InputFile> list_input_files(const std::vector<std::string>& inputs,
                                        const std::vector<std::string>& include) {
  std::vector<InputFile> files;
  auto add = [&](const fs::path& p) {
    InputFile f;
    f.path = p.string();
    f.n_bytes = static_cast<int64_t>(fs::file_size(p));
    f.gzip = head_bytes(f.path, 2) == "\x1f\x8b";
    f.jsonl = has_suffix(f.path, ".jsonl") || has_suffix(f.path, ".jsonl.gz");
    if (f.gzip) f.n_bytes = gzip_text_size(f.path, f.n_bytes);
    if (f.n_bytes > 0 || f.gzip) check_is_text(f);
    files.push_back(std::move(f));
  };
  for (const auto& input : inputs) {
    std::error_code ec;
    const auto status = fs::status(input, ec);
    if (ec || !fs::exists(status))
      throw std::runtime_error("input " + input + ": no such file or folder");
    if (fs::is_regular_file(status)) {
      add(input);
      continue;
    }
    if (!fs::is_directory(status))
      throw std::runtime_error("input " + input + ": not a file or folder");
    std::vector<fs::path> found;
    for (auto it = fs::recursive_directory_iterator(input);
         it != fs::recursive_directory_iterator(); ++it) {
      if (is_hidden(it->path())) {  // .git and friends are not corpus text
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && matches(include, fs::relative(it->path(), input)))
        found.push_back(it->path());
    }
    std::sort(found.begin(), found.end());
    for (const auto& p : found) add(p);
  }
  return files;
}

bool is_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Skip ASCII eight bytes at a time: the common case in text and code.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0)
      len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0)
      len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0)
      len = 4, cp = c & 0x07;
    else
      return false;
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // RFC 3629: shortest form only, no surrogates, nothing above U+10FFFF.
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

DocumentReader::DocumentReader(std::vector<InputFile> files, ReaderOptions options)
    : files_(std::move(files)), options_(std::move(options)) {
  if (options_.max_piece_bytes < 16)
    throw std::runtime_error("max_piece_bytes must be at least 16");
}

bool DocumentReader::next(Piece& piece) {
  while (true) {
    if (!pending_.empty()) {
      piece = std::move(pending_.front());
      pending_.pop_front();
      return true;
    }
    if (in_stream_) {
      if (next_stream_piece(piece)) return true;
      continue;
    }
    if (!load_more()) return false;
  }
}

void DocumentReader::queue_document(std::string text) {
  const int64_t index = next_doc_index_++;
  const int64_t file_index = static_cast<int64_t>(next_file_) - 1;  // the file being read
  if (text.empty()) {
    ++n_skipped_empty_;
    return;
  }
  if (options_.require_utf8 && !is_utf8(text)) {
    ++n_skipped_invalid_utf8_;
    return;
  }
  ++n_docs_;
  if (!options_.split_at_newlines ||
      static_cast<int64_t>(text.size()) <= options_.max_piece_bytes) {
    pending_.push_back({index, true, std::move(text), file_index});
    return;
  }
  std::string_view rest = text;
  bool first = true;
  while (!rest.empty()) {
    const size_t end = piece_end(rest, options_.max_piece_bytes);
    pending_.push_back({index, first, std::string(rest.substr(0, end)), file_index});
    rest.remove_prefix(end);
    first = false;
  }
}

bool DocumentReader::load_more() {
  if (in_jsonl_) {
    std::string line;
    if (!in_.getline(line)) {
      in_.close();
      in_jsonl_ = false;
      return true;
    }
    ++jsonl_line_;
    n_input_bytes_ += static_cast<int64_t>(line.size()) + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) return true;  // blank line: no record
    const std::string where = jsonl_path_ + ":" + std::to_string(jsonl_line_);
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw std::runtime_error("input " + where + ": invalid JSON: " + e.what());
    }
    if (!record.is_object() || !record.contains(options_.jsonl_field) ||
        !record[options_.jsonl_field].is_string())
      throw std::runtime_error("input " + where + ": no string field '" + options_.jsonl_field +
                               "' (choose the field with --jsonl-field)");
    queue_document(record[options_.jsonl_field].get<std::string>());
    return true;
  }
  if (next_file_ >= files_.size()) return false;
  const InputFile& file = files_[next_file_++];
  in_.open(file.path, file.gzip);
  if (file.jsonl) {
    in_jsonl_ = true;
    jsonl_path_ = file.path;
    jsonl_line_ = 0;
    return true;
  }
  if ((file.n_bytes <= options_.max_piece_bytes && !file.gzip) || !options_.split_at_newlines) {
    std::string text;
    for (size_t got = 1; got > 0;) {  // to the end (a gzip file's size is only an estimate)
      const size_t old = text.size();
      text.resize(old + static_cast<size_t>(std::max<int64_t>(file.n_bytes, 1 << 16)) + 1);
      got = in_.read(text.data() + old, text.size() - old);
      text.resize(old + got);
    }
    in_.close();
    n_input_bytes_ += static_cast<int64_t>(text.size());
    queue_document(std::move(text));
    return true;
  }
  // A large file: checked whole first (a bad byte near the end must not leave half a document in
  // the shards), then streamed in pieces.
  if (options_.require_utf8 && !file_is_utf8(file)) {
    in_.close();
    ++next_doc_index_;
    ++n_skipped_invalid_utf8_;
    n_input_bytes_ += file.n_bytes;
    return true;
  }
  in_stream_ = true;
  stream_doc_ = next_doc_index_++;
  stream_first_ = true;
  carry_.clear();
  ++n_docs_;
  return true;
}

bool DocumentReader::next_stream_piece(Piece& piece) {
  const size_t block = static_cast<size_t>(options_.max_piece_bytes);
  const size_t old = carry_.size();
  carry_.resize(old + block);
  const size_t got = in_.read(carry_.data() + old, block);
  carry_.resize(old + got);
  n_input_bytes_ += static_cast<int64_t>(got);
  const bool at_end = got < block;
  if (carry_.empty()) {
    in_.close();
    in_stream_ = false;
    return false;
  }
  size_t end = carry_.size();
  if (!at_end) {  // end after the last newline, else before the last (maybe incomplete) character
    const size_t newline = carry_.rfind('\n');
    end = newline != std::string::npos ? newline + 1 : char_boundary(carry_, carry_.size() - 1);
    if (end == 0) end = carry_.size();
  }
  piece.doc_index = stream_doc_;
  piece.doc_begin = stream_first_;
  piece.file_index = static_cast<int64_t>(next_file_) - 1;
  piece.text.assign(carry_, 0, end);
  carry_.erase(0, end);
  stream_first_ = false;
  if (at_end && carry_.empty()) {
    in_.close();
    in_stream_ = false;
  }
  return true;
}

bool DocumentReader::file_is_utf8(const InputFile& file) {
  TextFile in;
  in.open(file.path, file.gzip);
  std::string buf;
  std::vector<char> block(1 << 20);
  while (true) {
    const size_t got = in.read(block.data(), block.size());
    buf.append(block.data(), got);
    if (got < block.size()) return is_utf8(buf);
    const size_t cut = char_boundary(buf, buf.size() - 1);  // keep a character split by the block
    if (!is_utf8(std::string_view(buf).substr(0, cut))) return false;
    buf.erase(0, cut);
  }
}

}  // namespace scalelab::data
