#include "data/bpe_train.h"

#include <sentencepiece_trainer.h>

#include <fstream>
#include <stdexcept>
#include <unordered_map>

// Exported by libsentencepiece but absent from its public header; quiets the trainer's
// per-iteration INFO logging, which would drown our progress lines.
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
  sentencepiece::logging::SetMinLogLevel(1);
  sentencepiece::SetRandomGeneratorSeed(static_cast<unsigned>(options.seed));
  VectorIterator it(lines);
  std::string model;
  auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &model);
  if (!status.ok())
    throw std::runtime_error("BPE training (vocab_size " + std::to_string(options.vocab_size) +
                             ") failed: " + status.ToString());
  std::ofstream out(model_path, std::ios::binary);
  out.write(model.data(), static_cast<std::streamsize>(model.size()));
  if (!out) throw std::runtime_error("cannot write tokenizer model " + model_path);
}

}  // namespace scalelab::data
