#include "data/hf_tokenizer.h"

#include <sentencepiece_processor.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "data/tokenizer.h"
#include "common/checked_io.h"

namespace scalelab::data {

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kByteEotText = "<|endoftext|>";

std::string utf8(uint32_t code_point) {
  std::string s;
  if (code_point < 0x80) {
    s += static_cast<char>(code_point);
  } else {  // the alphabet stays below U+0800: two bytes
    s += static_cast<char>(0xC0 | (code_point >> 6));
    s += static_cast<char>(0x80 | (code_point & 0x3F));
  }
  return s;
}

void write_json(const fs::path& path, const json& value) {
  scalelab::write_file_atomic(path.string(), value.dump(2) + "\n");
}

// The special token as tokenizers' TemplateProcessing puts it before every sequence.
json bos_template(const std::string& token, int64_t id) {
  const json special = {{"SpecialToken", {{"id", token}, {"type_id", 0}}}};
  const json a = {{"Sequence", {{"id", "A"}, {"type_id", 0}}}};
  const json b = {{"Sequence", {{"id", "B"}, {"type_id", 0}}}};
  return {{"type", "TemplateProcessing"},
          {"single", {special, a}},
          {"pair", {special, a, b}},
          {"special_tokens", {{token, {{"id", token}, {"ids", {id}}, {"tokens", {token}}}}}}};
}

// Byte-level BPE without merges: every byte is its own token, exactly as our byte tokenizer.
json byte_tokenizer_json() {
  const json byte_level = {{"type", "ByteLevel"},
                           {"add_prefix_space", false},
                           {"trim_offsets", false},
                           {"use_regex", false}};
  json vocab = json::object();
  const auto alphabet = byte_level_alphabet();
  for (int b = 0; b < 256; ++b) vocab[alphabet[b]] = b;
  vocab[kByteEotText] = kByteEot;
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens",
           {{{"id", kByteEot},
             {"content", kByteEotText},
             {"single_word", false},
             {"lstrip", false},
             {"rstrip", false},
             {"normalized", false},
             {"special", true}}}},
          {"normalizer", nullptr},
          {"pre_tokenizer", byte_level},
          {"post_processor", bos_template(kByteEotText, kByteEot)},
          {"decoder", byte_level},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", false},
            {"vocab", vocab},
            {"merges", json::array()}}}};
}

json base_config(const std::string& tokenizer_class, const std::string& eot_text,
                 int64_t model_max_length) {
  return {{"tokenizer_class", tokenizer_class},
          {"bos_token", eot_text},
          {"eos_token", eot_text},
          {"pad_token", eot_text},
          {"add_bos_token", true},
          {"add_eos_token", false},
          {"clean_up_tokenization_spaces", false},
          {"model_max_length", model_max_length}};
}

std::vector<std::string> write_byte(const fs::path& out, int64_t model_max_length) {
  write_json(out / "tokenizer.json", byte_tokenizer_json());
  write_json(out / "tokenizer_config.json",
             base_config("PreTrainedTokenizerFast", kByteEotText, model_max_length));
  return {"tokenizer.json", "tokenizer_config.json"};
}

std::vector<std::string> write_sentencepiece(const fs::path& out, const fs::path& model_path,
                                             int64_t eot_token, int64_t model_max_length) {
  sentencepiece::SentencePieceProcessor sp;
  if (const auto status = sp.Load(model_path.string()); !status.ok())
    throw std::runtime_error("cannot load SentencePiece model " + model_path.string() + ": " +
                             status.ToString());
  fs::copy_file(model_path, out / "tokenizer.model", fs::copy_options::overwrite_existing);
  json config =
      base_config("LlamaTokenizer", sp.IdToPiece(static_cast<int>(eot_token)), model_max_length);
  config["unk_token"] = sp.IdToPiece(sp.unk_id());
  // A model trained with add_dummy_prefix turns "a" into "▁a"; ours (add_dummy_prefix=false)
  // does not, and transformers must be told, or every prompt gains a leading space.
  const auto pieces = sp.EncodeAsPieces("a");
  config["add_prefix_space"] = !pieces.empty() && pieces[0].rfind("\xE2\x96\x81", 0) == 0;
  config["legacy"] = false;
  write_json(out / "tokenizer_config.json", config);
  return {"tokenizer.model", "tokenizer_config.json"};
}

}  // namespace

std::vector<std::string> byte_level_alphabet() {
  std::vector<std::string> alphabet(256);
  uint32_t next_unprintable = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    alphabet[b] = utf8(printable ? b : next_unprintable++);
  }
  return alphabet;
}

std::vector<std::string> write_hf_tokenizer(const std::string& out_dir, const Manifest& manifest,
                                            const std::string& dataset_dir,
                                            int64_t model_max_length) {
  const fs::path out(out_dir);
  if (manifest.tokenizer == "byte") return write_byte(out, model_max_length);
  if (manifest.tokenizer == "bpe" || manifest.tokenizer == "sentencepiece")
    return write_sentencepiece(out, fs::path(dataset_dir) / manifest.tokenizer_model,
                               manifest.eot_token, model_max_length);
  return {};
}

}  // namespace scalelab::data
