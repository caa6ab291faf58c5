// scalelab sample RUN: text from a run's newest checkpoint with the run's own tokenizer.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "data/manifest.h"
#include "data/tokenizer.h"
#include "model/generate.h"
#include "trainer/checkpoint.h"

namespace scalelab::cli {

namespace {
namespace fs = std::filesystem;

std::unique_ptr<data::Tokenizer> run_tokenizer(const Config& config) {
  const data::Manifest manifest = data::read_manifest(config.data.path);
  if (manifest.tokenizer == "external")
    throw std::runtime_error("dataset " + config.data.path +
                             " holds ids made outside scalelab (tokenizer: external): there is no "
                             "tokenizer to turn a prompt into ids or ids into text");
  const std::string model_path =
      manifest.tokenizer_model.empty()
          ? ""
          : (fs::path(config.data.path) / manifest.tokenizer_model).string();
  return data::load_tokenizer(manifest.tokenizer, model_path);
}

// The length of the UTF-8 character that starts at text[i] (1 for a stray byte).
size_t utf8_length(const std::string& text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  const size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  return std::min(n, text.size() - i);
}

bool has_unknown(const data::Tokenizer& tokenizer, const std::vector<uint32_t>& ids) {
  const int64_t unknown = tokenizer.unknown_token();
  return unknown >= 0 && std::find(ids.begin(), ids.end(), unknown) != ids.end();
}

// The prompt's ids after the end-of-document token, which opened every training document.
// A prompt with a character the tokenizer has no piece for (and no byte fallback) would reach the
// model as <unk>: refused, naming the first such character.
std::vector<int64_t> encode_prompt(const data::Tokenizer& tokenizer, const std::string& prompt) {
  std::vector<uint32_t> ids;
  tokenizer.encode(prompt, ids);
  if (has_unknown(tokenizer, ids)) {
    for (size_t i = 0; i < prompt.size(); i += utf8_length(prompt, i)) {
      const std::string character = prompt.substr(i, utf8_length(prompt, i));
      std::vector<uint32_t> one;
      tokenizer.encode(character, one);
      if (has_unknown(tokenizer, one))
        throw std::runtime_error("--prompt: the run's tokenizer (" + tokenizer.name() +
                                 ") cannot encode '" + character + "' (byte " + std::to_string(i) +
                                 " of the prompt): it has no piece for it and no byte fallback");
    }
    throw std::runtime_error("--prompt: the run's tokenizer (" + tokenizer.name() +
                             ") encodes part of the prompt as its unknown token");
  }
  std::vector<int64_t> prompt_ids = {tokenizer.eot_token()};
  prompt_ids.insert(prompt_ids.end(), ids.begin(), ids.end());
  return prompt_ids;
}

}  // namespace

void add_sample_command(CLI::App& app) {
  struct Options {
    std::string run_dir, prompt;
    GenerateOptions generate;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("sample", "Generate text from a trained run");
  cmd->add_option("run_dir", opts->run_dir, "Run folder written by `scalelab train`")->required();
  cmd->add_option("--prompt", opts->prompt, "Text to continue (default: a new document)");
  cmd->add_option("--tokens", opts->generate.max_new_tokens, "Tokens to generate at most")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--temperature", opts->generate.temperature,
                  "Sampling temperature; 0 takes the most likely token each time (deterministic)")
      ->capture_default_str()
      ->check(FiniteNonNegative);
  cmd->add_option("--top-k", opts->generate.top_k, "Draw only from the K most likely (0: all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", opts->generate.seed, "Seed of the draws")->capture_default_str();
  cmd->add_flag("--json", opts->json, "Print prompt, ids and text as JSON");
  cmd->footer(
      "Loads the newest checkpoint and the tokenizer of the run's dataset (byte or "
      "SentencePiece),\n"
      "puts the end-of-document token before the prompt (every training document starts with\n"
      "it) and stops early when the model ends the document. Runs on the CPU. The context is the\n"
      "model's block_size: longer text keeps only its last block_size tokens.\n"
      "Examples:\n"
      "  scalelab sample runs/demo/run0 --prompt 'In the beginning' --tokens 100\n"
      "  scalelab sample runs/demo/run0 --temperature 0 --json   # greedy, as transformers' "
      "do_sample=False");
  cmd->callback([opts] {
    RunModel run = load_run_model(opts->run_dir);
    const auto tokenizer = run_tokenizer(run.config);
    const std::vector<int64_t> prompt_ids = encode_prompt(*tokenizer, opts->prompt);
    GenerateOptions options = opts->generate;
    options.vocab_size = tokenizer->vocab_size();
    options.stop_token = tokenizer->eot_token();
    std::vector<int64_t> ids = generate(run.model, prompt_ids, options);
    const bool ended_document = !ids.empty() && ids.back() == options.stop_token;
    std::vector<uint32_t> text_ids(ids.begin(), ids.end() - (ended_document ? 1 : 0));
    const std::string text = tokenizer->decode(text_ids);

    if (opts->json) {
      const nlohmann::json result = {{"run_dir", opts->run_dir},
                                     {"checkpoint", run.checkpoint},
                                     {"step", run.state.step},
                                     {"prompt", opts->prompt},
                                     {"prompt_ids", prompt_ids},
                                     {"ids", ids},
                                     {"text", text},
                                     {"ended_document", ended_document}};
      // Byte-level ids may end in the middle of a UTF-8 character: replace, do not throw.
      std::printf("%s\n",
                  result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    std::fprintf(stderr, "[sample] %s (step %ld), %zu tokens%s\n", run.checkpoint.c_str(),
                 static_cast<long>(run.state.step), ids.size(),
                 ended_document ? ", ended the document" : "");
    std::printf("%s%s\n", opts->prompt.c_str(), text.c_str());
  });
}

}  // namespace scalelab::cli
