// A dataset's tokenizer in the files Hugging Face transformers loads with AutoTokenizer, so that an
// exported model needs no hand edits: every training document opens with the end-of-document
// token, so that token is the tokenizer's bos (added to every prompt) and eos (ends generation).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/manifest.h"

namespace scalelab::data {

// Writes into out_dir (which must exist) and returns the file names written:
// - byte: tokenizer.json (a byte-level BPE with no merges: ids 0-255 are the bytes, 256 is
//   <|endoftext|>) and tokenizer_config.json;
// - bpe / sentencepiece: tokenizer.model (copied) and tokenizer_config.json for LlamaTokenizer
//   (transformers converts the model; that needs the sentencepiece and protobuf packages);
// - external (ids made elsewhere): nothing; there is no tokenizer to export.
// model_max_length is the model's context (block_size).
std::vector<std::string> write_hf_tokenizer(const std::string& out_dir, const Manifest& manifest,
                                            const std::string& dataset_dir,
                                            int64_t model_max_length);

// The byte tokenizer's ids as the printable characters of GPT-2's byte-level alphabet (bytes that
// are printable ASCII or Latin-1 keep their character; the rest map to U+0100 upwards), UTF-8.
std::vector<std::string> byte_level_alphabet();

}  // namespace scalelab::data
