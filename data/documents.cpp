#include "data/documents.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
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

}  // namespace

std::vector<InputFile> list_input_files(const std::vector<std::string>& inputs,
                                        const std::vector<std::string>& include) {
  std::vector<InputFile> files;
  auto add = [&](const fs::path& p) {
    files.push_back(
        {p.string(), static_cast<int64_t>(fs::file_size(p)), p.extension() == ".jsonl"});
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
    pending_.push_back({index, true, std::move(text)});
    return;
  }
  std::string_view rest = text;
  bool first = true;
  while (!rest.empty()) {
    const size_t end = piece_end(rest, options_.max_piece_bytes);
    pending_.push_back({index, first, std::string(rest.substr(0, end))});
    rest.remove_prefix(end);
    first = false;
  }
}

bool DocumentReader::load_more() {
  if (in_jsonl_) {
    std::string line;
    if (!std::getline(in_, line)) {
      if (in_.bad()) throw std::runtime_error("input " + jsonl_path_ + ": read error");
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
  in_.open(file.path, std::ios::binary);
  if (!in_) throw std::runtime_error("input " + file.path + ": cannot open");
  if (file.jsonl) {
    in_jsonl_ = true;
    jsonl_path_ = file.path;
    jsonl_line_ = 0;
    return true;
  }
  if (file.n_bytes <= options_.max_piece_bytes || !options_.split_at_newlines) {
    std::string text(static_cast<size_t>(file.n_bytes), '\0');
    in_.read(text.data(), file.n_bytes);
    text.resize(static_cast<size_t>(in_.gcount()));
    in_.close();
    n_input_bytes_ += file.n_bytes;
    queue_document(std::move(text));
    return true;
  }
  // A large file: checked whole first (a bad byte near the end must not leave half a document in
  // the shards), then streamed in pieces.
  if (options_.require_utf8 && !file_is_utf8(file.path)) {
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
  in_.read(carry_.data() + old, static_cast<std::streamsize>(block));
  const size_t got = static_cast<size_t>(in_.gcount());
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
  piece.text.assign(carry_, 0, end);
  carry_.erase(0, end);
  stream_first_ = false;
  if (at_end && carry_.empty()) {
    in_.close();
    in_stream_ = false;
  }
  return true;
}

bool DocumentReader::file_is_utf8(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string buf;
  std::vector<char> block(1 << 20);
  while (true) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const size_t got = static_cast<size_t>(in.gcount());
    buf.append(block.data(), got);
    if (got < block.size()) return is_utf8(buf);
    const size_t cut = char_boundary(buf, buf.size() - 1);  // keep a character split by the block
    if (!is_utf8(std::string_view(buf).substr(0, cut))) return false;
    buf.erase(0, cut);
  }
}

}  // namespace scalelab::data
