// scalelab sample RUN: text from a run's newest checkpoint with the run's own tokenizer.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/stop_signals.h"
#include "data/run_dataset.h"
#include "data/tokenizer.h"
#include "model/generate.h"
#include "trainer/checkpoint.h"

namespace scalelab::cli {

namespace {
namespace fs = std::filesystem;

// The run's tokenizer: recorded in the run folder (or, for older runs, its dataset's; --dataset
// names one). Refused when its ids do not fit the model.
std::unique_ptr<data::Tokenizer> run_tokenizer(const std::string& run_dir, const Config& config,
                                               const std::string& dataset) {
  const data::DatasetRecord source = data::run_tokenizer_source(run_dir, config.data.path, dataset);
  if (source.manifest.tokenizer == "external")
    throw std::runtime_error("dataset " + source.path +
                             " holds ids made outside scalelab (tokenizer: external): there is no "
                             "tokenizer to turn a prompt into ids or ids into text");
  if (source.manifest.vocab_size > config.model.vocab_size)
    throw std::runtime_error("dataset " + source.path + ": its tokenizer has " +
                             std::to_string(source.manifest.vocab_size) +
                             " ids, more than the model's vocab_size " +
                             std::to_string(config.model.vocab_size) + " (another dataset?)");
  const std::string& model = source.manifest.tokenizer_model;
  return data::load_tokenizer(
      source.manifest.tokenizer,
      model.empty() ? "" : (fs::path(source.tokenizer_dir) / model).string());
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

struct SampleOptions {
  std::string run_dir, prompt, dataset;
  GenerateOptions generate;
  bool json = false;
};

// Ends a sample that a signal stopped: what was made is printed; exit 128 + the signal.
void end_if_stopped(int signal_number, size_t n_tokens) {
  if (signal_number != 0)
    throw ExitCode(128 + signal_number, signal_name(signal_number) + ": stopped after " +
                                            std::to_string(n_tokens) +
                                            " token(s); the text printed is all that was made");
}

void sample(const SampleOptions& o) {
  RunModel run = load_run_model(o.run_dir);
  const auto tokenizer = run_tokenizer(o.run_dir, run.config, o.dataset);
  const std::vector<int64_t> prompt_ids = encode_prompt(*tokenizer, o.prompt);
  GenerateOptions options = o.generate;
  options.vocab_size = tokenizer->vocab_size();
  options.stop_token = tokenizer->eot_token();
  const StopSignals signals;  // SIGINT / SIGTERM end the text where it is, keeping it
  const auto start = std::chrono::steady_clock::now();

  if (o.json) {
    const std::vector<int64_t> ids =
        generate(run.model, prompt_ids, options, [&](int64_t) { return signals.received() == 0; });
    const bool ended_document = !ids.empty() && ids.back() == options.stop_token;
    const std::vector<uint32_t> text_ids(ids.begin(), ids.end() - (ended_document ? 1 : 0));
    const nlohmann::json result = {
        {"run_dir", o.run_dir},
        {"checkpoint", run.checkpoint},
        {"step", run.state.step},
        {"prompt", o.prompt},
        {"prompt_ids", prompt_ids},
        {"ids", ids},
        {"text", tokenizer->decode(text_ids)},
        {"ended_document", ended_document},
        {"stopped_by", signals.received() ? nlohmann::json(signal_name(signals.received()))
                                          : nlohmann::json(nullptr)}};
    // Byte-level ids may end in the middle of a UTF-8 character: replace, do not throw.
    std::printf("%s\n",
                result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    end_if_stopped(signals.received(), ids.size());
    return;
  }
  // Text goes out as it is made (a long sample shows its progress, and a stop keeps it all).
  std::fprintf(stderr, "[sample] %s (step %ld)\n", run.checkpoint.c_str(),
               static_cast<long>(run.state.step));
  std::fputs(o.prompt.c_str(), stdout);
  std::fflush(stdout);
  data::TextStream stream(*tokenizer);
  const std::vector<int64_t> ids = generate(run.model, prompt_ids, options, [&](int64_t id) {
    std::fputs(stream.add(static_cast<uint32_t>(id)).c_str(), stdout);
    std::fflush(stdout);
    return signals.received() == 0;
  });
  std::printf("%s\n", stream.finish().c_str());
  std::fflush(stdout);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const bool ended_document = !ids.empty() && ids.back() == options.stop_token;
  std::fprintf(stderr, "[sample] %zu tokens in %.1f s (%.0f tokens/s)%s\n", ids.size(), seconds,
               ids.size() / std::max(seconds, 1e-9), ended_document ? ", ended the document" : "");
  end_if_stopped(signals.received(), ids.size());
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto opts = std::make_shared<SampleOptions>();
  auto* cmd = app.add_subcommand("sample", "Generate text from a trained run");
  cmd->add_option("run_dir", opts->run_dir, "Run folder written by `scalelab train`")->required();
  cmd->add_option("--prompt", opts->prompt, "Text to continue (default: a new document)");
  cmd->add_option("--tokens", opts->generate.max_new_tokens, "Tokens to generate at most")
      ->capture_default_str()
      ->check(WholeNumberFrom(1));
  cmd->add_option("--temperature", opts->generate.temperature,
                  "Sampling temperature; 0 takes the most likely token each time (deterministic)")
      ->capture_default_str()
      ->check(FiniteNonNegative);
  cmd->add_option("--top-k", opts->generate.top_k, "Draw only from the K most likely (0: all)")
      ->capture_default_str()
      ->check(WholeNumberFrom(0, " (0: every token)"));
  cmd->add_option("--seed", opts->generate.seed, "Seed of the draws")->capture_default_str();
  cmd->add_option("--dataset", opts->dataset,
                  "The dataset whose tokenizer to use, for a run trained before run folders "
                  "recorded theirs (dataset.json) whose dataset is not where it was");
  cmd->add_flag("--json", opts->json, "Print prompt, ids and text as JSON");
  cmd->footer(
      "Loads the newest checkpoint and the tokenizer recorded in the run folder (byte or\n"
      "SentencePiece; dataset.json, tokenizer.model), from any directory,\n"
      "puts the end-of-document token before the prompt (every training document starts with\n"
      "it) and stops early when the model ends the document. Runs on the CPU. The context is the\n"
      "model's block_size: longer text keeps only its last block_size tokens. Text is printed as\n"
      "it is made; Ctrl-C (SIGINT) or SIGTERM stops it there, keeping it (exit 130 / 143).\n"
      "Examples:\n"
      "  scalelab sample runs/demo/run0 --prompt 'In the beginning' --tokens 100\n"
      "  scalelab sample runs/demo/run0 --temperature 0 --json   # greedy, as transformers' "
      "do_sample=False");
  cmd->callback([opts] { sample(*opts); });
}

}  // namespace scalelab::cli
