#include "data/bpe_train.h"

#include <sentencepiece_trainer.h>

#include <cctype>
#include <fstream>
#include <stdexcept>
#include <unordered_map>

// Exported by libsentencepiece but absent from its public header; quiets the trainer's
// per-iteration INFO logging, which would drown our progress lines, and its warnings (in its own
// terms, e.g. "No valid symbol found" before a failure that training_error explains).
namespace sentencepiece::logging {
void SetMinLogLevel(int v);
}

namespace scalelab::data {

LineSampler::LineSampler(int64_t max_lines, uint64_t seed) : max_lines_(max_lines), rng_(seed) {
  if (max_lines <= 0) throw std::runtime_error("BPE sample size must be positive");
}

void LineSampler::add_text(std::string_view text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) add_line(text.substr(start, end - start));
    start = end + 1;
  }
}

void LineSampler::add_line(std::string_view line) {
  if (line.size() > kMaxTrainLineBytes) {
    // Cut at a UTF-8 character boundary so the sample stays valid text.
    size_t cut = kMaxTrainLineBytes;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    line = line.substr(0, cut);
  }
  ++n_seen_;
  if (static_cast<int64_t>(lines_.size()) < max_lines_) {
    lines_.emplace_back(line);
    return;
  }
  // Algorithm R: the n-th line replaces a random slot with probability max_lines / n.
  std::uniform_int_distribution<int64_t> pick(0, n_seen_ - 1);
  const int64_t slot = pick(rng_);
  if (slot < max_lines_) lines_[slot].assign(line);
}

namespace {

class VectorIterator final : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<std::string>& lines) : lines_(lines) {}
  bool done() const override { return i_ >= lines_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return lines_[i_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& lines_;
  size_t i_ = 0;
};

// The number after `key` in SentencePiece's text ("... 300 vs 558." -> "558"), or "".
std::string number_after(const std::string& text, const std::string& key) {
  const size_t at = text.find(key);
  if (at == std::string::npos) return "";
  const size_t begin = at + key.size();
  size_t end = begin;
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  return text.substr(begin, end - begin);
}

// SentencePiece's reasons in scalelab's terms: its text names its own source lines and flags
// (--character_coverage), which scalelab does not have.
std::string training_error(const std::string& status, int64_t vocab_size) {
  const std::string prefix =
      "BPE training (vocab_size " + std::to_string(vocab_size) + ") failed: ";
  // "Vocabulary size is smaller than required_chars. 300 vs 558.": that many ids are taken before
  // any merge (256 byte pieces, unk, eos and the characters covering 99.95% of the sample).
  if (status.find("smaller than required_chars") != std::string::npos) {
    const std::string needed = number_after(status, " vs ");
    return prefix + "the text's characters (those covering 99.95% of the sample), the 256 byte " +
           "pieces and 2 special tokens need " + (needed.empty() ? "more" : needed) +
           " ids before any merge; pass a larger --vocab-size (a few thousand), or --tokenizer "
           "byte";
  }
  // "Vocabulary size too high (100000). Please set it to a value <= 293."
  if (status.find("Vocabulary size too high") != std::string::npos) {
    const std::string most = number_after(status, "<= ");
    return prefix + "the text forms at most " + (most.empty() ? "fewer" : most) +
           " pieces; pass a smaller --vocab-size, or give more text";
  }
  std::string reason = status;  // another failure: SentencePiece's reason, less its source line
  if (const size_t bracket = reason.find("] "); bracket != std::string::npos)
    reason = reason.substr(bracket + 2);
  return prefix + reason;
}

}  // namespace

void train_bpe(const std::vector<std::string>& lines, const BpeTrainOptions& options,
               const std::string& model_path) {
  if (lines.empty()) throw std::runtime_error("BPE training: the input has no text to train on");
  const std::unordered_map<std::string, std::string> args = {
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"byte_fallback", "true"},
      {"character_coverage", "0.9995"},
      {"normalization_rule_name", "identity"},
      {"add_dummy_prefix", "false"},
      {"remove_extra_whitespaces", "false"},
      {"allow_whitespace_only_pieces", "true"},
      {"split_digits", "true"},
      {"max_sentence_length", std::to_string(kMaxTrainLineBytes)},
      {"input_sentence_size", "0"},  // the sample is already bounded
      {"shuffle_input_sentence", "false"},
      {"unk_id", "0"},
      {"eos_id", "1"},
      {"bos_id", "-1"},
      {"pad_id", "-1"},
      {"num_threads", std::to_string(std::max(1, options.n_threads))},
  };
  sentencepiece::logging::SetMinLogLevel(2);  // its warnings too: errors come back as a status
  sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned>(options.seed));
  VectorIterator it(lines);
  std::string model;
  auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &model);
  if (!status.ok()) throw std::runtime_error(training_error(status.ToString(), options.vocab_size));
  std::ofstream out(model_path, std::ios::binary);
  out.write(model.data(), static_cast<std::streamsize>(model.size()));
  if (!out) throw std::runtime_error("cannot write tokenizer model " + model_path);
}

}  // namespace scalelab::data
