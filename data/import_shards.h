// `scalelab prepare --from-shards DIR`: token files written by other tools become a dataset folder
// without copying the tokens. Two layouts are recognised:
//   llm.c   *.bin shards with llm.c's header (magic 20240520 with uint16 ids, or 20240801 with
//           uint32), the split from the file name ("..._train_000001.bin", "..._val_000000.bin");
//   nanoGPT train.bin and val.bin without a header, uint16 ids (nanoGPT's prepare.py).
// Each file is checked (header, size, every id below vocab_size), hashed (sha256, for the
// manifest) and hard-linked into the dataset folder, or symlinked where a hard link is impossible
// (another file system); manifest.json records the tokenizer as "external".
#pragma once

#include <cstdint>
#include <string>

#include "data/manifest.h"

namespace scalelab::data {

struct ImportOptions {
  std::string from_dir;
  std::string out_dir;
  int64_t vocab_size = 50257;  // GPT-2's
  int64_t eot_token = 50256;   // GPT-2's <|endoftext|>
  bool force = false;
};

struct ImportResult {
  Manifest manifest;
  std::string layout;  // "llm.c" | "nanogpt"
  std::string link;    // "hard" | "symlink" | "hard+symlink"
  double seconds = 0;
};

// Throws one line naming the file or folder: no token files, a file that is neither train nor
// val, a corrupt header, an id >= vocab_size (saying to pass --vocab-size), an existing dataset
// without force. Builds in a staging folder, so a failure leaves out_dir as it was.
ImportResult import_shards(const ImportOptions& options);

}  // namespace scalelab::data
