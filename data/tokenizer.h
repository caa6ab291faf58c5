// Tokenizers: `byte` (ids 0-255 are the bytes, 256 is the end-of-document token) and SentencePiece
// models (our trained BPE, or any .model file a user brings).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::data {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::string name() const = 0;  // "byte" | "bpe" | "sentencepiece" (manifest's tokenizer)
  virtual int64_t vocab_size() const = 0;
  virtual int64_t eot_token() const = 0;  // end-of-document token, written between documents
  // The id of text the tokenizer has no piece for, or -1 when every input encodes (byte, or
  // SentencePiece with byte fallback still has one, but never emits it).
  virtual int64_t unknown_token() const = 0;
  // Appends the ids of `text` to `out`. Must be safe to call from many threads at once.
  virtual void encode(std::string_view text, std::vector<uint32_t>& out) const = 0;
  virtual std::string decode(const std::vector<uint32_t>& ids) const = 0;
  // True when encode(a + b) == encode(a) + encode(b) for every `a` ending in '\n', so that prepare
  // may cut a large document at line ends and encode the pieces in parallel.
  virtual bool splits_at_newlines() const = 0;
};

constexpr int64_t kByteEot = 256;
constexpr int64_t kByteVocab = 257;

std::unique_ptr<Tokenizer> make_byte_tokenizer();

// Loads a SentencePiece model; `name` is what the manifest records ("bpe" for ours).
// The model's eos piece is the end-of-document token: a model without one is an error.
std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& model_path,
                                              const std::string& name = "sentencepiece");

// Text as ids arrive one at a time (`scalelab sample` streams it): add() returns the text the new
// id completes, which may be "" while a character's byte-fallback pieces are still arriving;
// the concatenation of every add() and finish() is the decoding of all the ids.
class TextStream {
 public:
  explicit TextStream(const Tokenizer& tokenizer);
  std::string add(uint32_t id);
  std::string finish();  // what is still pending

 private:
  const Tokenizer& tokenizer_;
  std::vector<uint32_t> anchor_, pending_;  // the last emitted id; ids not yet emitted
};

// Loads the tokenizer a dataset's manifest names ("byte", or a model file inside dataset_dir).
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& name, const std::string& model_path);

}  // namespace scalelab::data
