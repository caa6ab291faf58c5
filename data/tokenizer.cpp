#include "data/tokenizer.h"

#include <sentencepiece_processor.h>

#include <filesystem>
#include <stdexcept>

namespace scalelab::data {

namespace {

class ByteTokenizer final : public Tokenizer {
 public:
  std::string name() const override { return "byte"; }
  int64_t vocab_size() const override { return kByteVocab; }
  int64_t eot_token() const override { return kByteEot; }
  int64_t unknown_token() const override { return -1; }
  void encode(std::string_view text, std::vector<uint32_t>& out) const override {
    const size_t start = out.size();
    out.resize(start + text.size());
    for (size_t i = 0; i < text.size(); ++i) out[start + i] = static_cast<unsigned char>(text[i]);
  }
  std::string decode(const std::vector<uint32_t>& ids) const override {
    std::string text;
    text.reserve(ids.size());
    for (uint32_t id : ids) {
      if (id > kByteEot)
        throw std::runtime_error("byte tokenizer: id " + std::to_string(id) + " >= 257");
      if (id < 256) text.push_back(static_cast<char>(id));  // the EOT token has no text
    }
    return text;
  }
  bool splits_at_newlines() const override { return true; }
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  SentencePieceTokenizer(const std::string& path, std::string name) : name_(std::move(name)) {
    if (!std::filesystem::is_regular_file(path))
      throw std::runtime_error("tokenizer model " + path + ": no such file");
    if (!sp_.Load(path).ok())
      // SentencePiece's own text names its source line and a protobuf call, not the problem.
      throw std::runtime_error("tokenizer model " + path +
                               ": not a SentencePiece model (the file does not parse as one)");
    if (sp_.eos_id() < 0)
      throw std::runtime_error(
          "tokenizer model " + path +
          ": has no eos piece, which scalelab uses as the end-of-document token");
    splits_at_newlines_ = probe_newline_splits();
  }
  std::string name() const override { return name_; }
  int64_t vocab_size() const override { return sp_.GetPieceSize(); }
  int64_t eot_token() const override { return sp_.eos_id(); }
  int64_t unknown_token() const override { return sp_.unk_id(); }
  void encode(std::string_view text, std::vector<uint32_t>& out) const override {
    // SentencePiece's BPE slows down superlinearly with input length (on kjv, a 1 MB string encodes
    // about 3x slower per byte than 1 KB ones), so a model that allows it gets a few lines at a
    // time.
    constexpr size_t kSegmentBytes = 1024;
    while (splits_at_newlines_ && text.size() > kSegmentBytes) {
      size_t newline = text.rfind('\n', kSegmentBytes - 1);
      if (newline == std::string_view::npos)
        newline = text.find('\n', kSegmentBytes);  // a long line
      if (newline == std::string_view::npos) break;
      encode_segment(text.substr(0, newline + 1), out);
      text.remove_prefix(newline + 1);
    }
    encode_segment(text, out);
  }
  std::string decode(const std::vector<uint32_t>& ids) const override {
    std::vector<int> signed_ids(ids.begin(), ids.end());
    std::string text;
    auto status = sp_.Decode(signed_ids, &text);
    if (!status.ok()) throw std::runtime_error("sentencepiece decode failed: " + status.ToString());
    return text;
  }
  bool splits_at_newlines() const override { return splits_at_newlines_; }

 private:
  void encode_segment(std::string_view text, std::vector<uint32_t>& out) const {
    std::vector<int> ids;
    auto status = sp_.Encode(absl::string_view(text.data(), text.size()), &ids);
    if (!status.ok()) throw std::runtime_error("sentencepiece encode failed: " + status.ToString());
    out.insert(out.end(), ids.begin(), ids.end());
  }

  // The model proto is not reachable without protobuf headers, so test the property directly:
  // no piece may hold a newline, and encoding must not depend on what precedes a line (dummy
  // prefix, whitespace folding and normalization would all show up in these probes).
  bool probe_newline_splits() const {
    for (int id = 0; id < sp_.GetPieceSize(); ++id)
      if (sp_.IdToPiece(id).find('\n') != std::string::npos) return false;
    const std::vector<std::pair<std::string, std::string>> probes = {
        {"a\n", "b c"},
        {"x y \n", "  z"},
        {"\n", "\n\n  def f():\n"},
        {"caf\xc3\xa9\n", "\xef\xbc\xa1 1"}};
    for (const auto& [a, b] : probes) {
      std::vector<uint32_t> joint, parts;
      encode(a + b, joint);
      encode(a, parts);
      encode(b, parts);
      if (joint != parts) return false;
    }
    return true;
  }

  std::string name_;
  sentencepiece::SentencePieceProcessor sp_;
  bool splits_at_newlines_ = false;
};

bool ends_in_replacement_character(const std::string& text) {
  return text.size() >= 3 && text.compare(text.size() - 3, 3, "\xEF\xBF\xBD") == 0;
}

}  // namespace

TextStream::TextStream(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

std::string TextStream::add(uint32_t id) {
  pending_.push_back(id);
  // The new ids decoded after the last emitted one, so that a tokenizer that treats the first
  // piece of a text specially (a dummy prefix) decodes them as it would mid-text.
  std::vector<uint32_t> ids = anchor_;
  ids.insert(ids.end(), pending_.begin(), pending_.end());
  std::string text = tokenizer_.decode(ids);
  const std::string before = anchor_.empty() ? "" : tokenizer_.decode(anchor_);
  text = text.rfind(before, 0) == 0 ? text.substr(before.size()) : tokenizer_.decode(pending_);
  // Byte-fallback pieces of one character come one at a time: wait for the rest (at most 4).
  if (ends_in_replacement_character(text) && pending_.size() < 4) return "";
  anchor_ = {pending_.back()};
  pending_.clear();
  return text;
}

std::string TextStream::finish() {
  if (pending_.empty()) return "";
  const std::string text = tokenizer_.decode(pending_);
  pending_.clear();
  return text;
}

std::unique_ptr<Tokenizer> make_byte_tokenizer() {
  return std::make_unique<ByteTokenizer>();
}

std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_path,
                                              const std::string& name) {
  return std::make_unique<SentencePieceTokenizer>(model_path, name);
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& name, const std::string& model_path) {
  if (name == "byte") return make_byte_tokenizer();
  if (name == "bpe" || name == "sentencepiece") return load_sentencepiece(model_path, name);
  throw std::runtime_error("unknown tokenizer '" + name +
                           "' (expected byte, bpe or sentencepiece)");
}

}  // namespace scalelab::data
