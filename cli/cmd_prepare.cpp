// scalelab prepare --input PATH... --out DIR --tokenizer byte|bpe|FILE.model [--vocab-size N] ...
// scalelab prepare --from-shards DIR --out DIR [--vocab-size 50257] [--eot-token 50256]
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cli/commands.h"
#include "common/text.h"
#include "data/import_shards.h"
#include "data/prepare.h"

namespace scalelab::cli {

namespace {

// Progress on stderr: redrawn in place on a terminal, a line every few seconds in a log file.
class ProgressPrinter {
 public:
  ProgressPrinter() : tty_(::isatty(STDERR_FILENO)) {}
  void operator()(const data::PrepareProgress& p) {
    const double mb = p.n_input_bytes / 1e6, total_mb = p.n_total_bytes / 1e6;
    const double pct = p.n_total_bytes ? 100.0 * p.n_input_bytes / p.n_total_bytes : 0;
    if (!tty_ && p.seconds < next_log_s_ && p.stage == stage_) return;
    stage_ = p.stage;
    next_log_s_ = p.seconds + 5;
    std::fprintf(stderr, "%s[prepare] %-9s %8.1f / %.1f MB (%3.0f%%)", tty_ ? "\r\033[K" : "",
                 p.stage.c_str(), mb, total_mb, pct);
    if (p.stage == "encode")
      std::fprintf(stderr, "  %s tokens  %.1f MB/s", human(static_cast<double>(p.n_tokens)).c_str(),
                   p.seconds > 0 ? mb / p.seconds : 0.0);
    if (p.stage == "train-bpe") std::fprintf(stderr, "  training SentencePiece BPE...");
    std::fprintf(stderr, tty_ ? "" : "\n");
    std::fflush(stderr);
  }
  void done() {
    if (tty_) std::fprintf(stderr, "\n");
  }

 private:
  bool tty_;
  std::string stage_;
  double next_log_s_ = 0;
};

nlohmann::json split_json(const data::SplitEntry& s, int64_t n_tokens) {
  return {{"n_tokens", n_tokens},
          {"n_docs", s.n_docs},
          {"n_bytes", s.n_bytes},
          {"n_shards", s.shards.size()}};
}

// prepare's options: text inputs (PrepareOptions) or token files (ImportOptions), one --out.
struct PrepareArgs {
  data::PrepareOptions text;
  data::ImportOptions shards;
  bool json = false;
};

// --from-shards: token files made elsewhere become a dataset, linked rather than copied.
void import_token_files(PrepareArgs a, bool vocab_size_given) {
  a.shards.out_dir = a.text.out_dir;
  a.shards.force = a.text.force;
  if (vocab_size_given) a.shards.vocab_size = a.text.vocab_size;
  const auto r = data::import_shards(a.shards);
  const auto& m = r.manifest;
  if (a.json) {
    nlohmann::json j = {{"out", a.text.out_dir},
                        {"from_shards", a.shards.from_dir},
                        {"layout", r.layout},
                        {"link", r.link},
                        {"tokenizer", m.tokenizer},
                        {"vocab_size", m.vocab_size},
                        {"eot_token", m.eot_token},
                        {"train", split_json(m.train, m.n_train_tokens)},
                        {"val", split_json(m.val, m.n_val_tokens)},
                        {"seconds", r.seconds}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("dataset %s: %s token files from %s (%s links, no copy), vocab %lld, eot %lld\n",
              a.text.out_dir.c_str(), r.layout.c_str(), a.shards.from_dir.c_str(), r.link.c_str(),
              static_cast<long long>(m.vocab_size), static_cast<long long>(m.eot_token));
  std::printf("  train %s tokens, %zu shard(s)\n", human(m.n_train_tokens).c_str(),
              m.train.shards.size());
  std::printf("  val   %s tokens, %zu shard(s)\n", human(m.n_val_tokens).c_str(),
              m.val.shards.size());
  std::printf("checked and hashed in %.2f s\n", r.seconds);
}

void print_prepared(const data::PrepareOptions& o, const data::PrepareResult& r, bool json) {
  const auto& m = r.manifest;
  const double mb = r.n_input_bytes / 1e6;
  const double mb_per_s = r.encode_seconds > 0 ? mb / r.encode_seconds : 0;
  if (json) {
    nlohmann::json j = {{"out", o.out_dir},
                        {"tokenizer", m.tokenizer},
                        {"vocab_size", m.vocab_size},
                        {"eot_token", m.eot_token},
                        {"train", split_json(m.train, m.n_train_tokens)},
                        {"val", split_json(m.val, m.n_val_tokens)},
                        {"n_input_bytes", r.n_input_bytes},
                        {"tokenizer_seconds", r.tokenizer_seconds},
                        {"encode_seconds", r.encode_seconds},
                        {"encode_mb_per_s", mb_per_s},
                        {"n_threads", r.n_threads},
                        {"split", r.split}};
    if (!r.split_note.empty()) j["split_note"] = r.split_note;
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("dataset %s: tokenizer %s, vocab %lld, eot %lld\n", o.out_dir.c_str(),
              m.tokenizer.c_str(), static_cast<long long>(m.vocab_size),
              static_cast<long long>(m.eot_token));
  std::printf("  train %s tokens, %lld documents, %zu shard(s)\n", human(m.n_train_tokens).c_str(),
              static_cast<long long>(m.train.n_docs), m.train.shards.size());
  std::printf("  val   %s tokens, %lld documents, %zu shard(s)\n", human(m.n_val_tokens).c_str(),
              static_cast<long long>(m.val.n_docs), m.val.shards.size());
  if (!r.split_note.empty()) std::printf("  %s\n", r.split_note.c_str());
  std::printf("  %.3g bytes per token\n",
              static_cast<double>(m.train.n_bytes + m.val.n_bytes) /
                  std::max<int64_t>(1, m.n_train_tokens + m.n_val_tokens));
  if (r.tokenizer_seconds > 0)
    std::printf("  BPE sample + training: %.1f s\n", r.tokenizer_seconds);
  std::printf("encoded %.1f MB in %.2f s: %.1f MB/s on %d threads\n", mb, r.encode_seconds,
              mb_per_s, r.n_threads);
}

// --input: text tokenized into shards, with progress on stderr.
void prepare_text(const PrepareArgs& a) {
  if (a.text.inputs.empty())
    throw std::runtime_error("prepare: give --input PATH... (text) or --from-shards DIR");
  ProgressPrinter printer;
  const auto r = data::prepare(a.text, [&](const data::PrepareProgress& p) { printer(p); });
  printer.done();
  print_prepared(a.text, r, a.json);
}

}  // namespace

void add_prepare_command(CLI::App& app) {
  auto a = std::make_shared<PrepareArgs>();
  data::PrepareOptions* opts = &a->text;
  data::ImportOptions* import = &a->shards;
  auto* cmd = app.add_subcommand(
      "prepare", "Tokenize text into a dataset folder (llm.c-layout shards + manifest.json)");
  auto* input = cmd->add_option("--input", opts->inputs,
                                "Files, folders (recursive), .jsonl and .gz files; each file or "
                                "JSONL record is one document");
  auto* from_shards = cmd->add_option(
      "--from-shards", import->from_dir,
      "Instead of --input: a folder of token files made elsewhere (llm.c shards, or nanoGPT's "
      "train.bin/val.bin) to turn into a dataset without copying the tokens (hard links)");
  input->excludes(from_shards);
  from_shards->excludes(input);
  cmd->add_option("--eot-token", import->eot_token,
                  "With --from-shards: the end-of-document id (GPT-2's 50256 by default)")
      ->capture_default_str();
  cmd->add_option("--out", opts->out_dir, "Dataset folder to create")->required();
  cmd->add_option("--tokenizer", opts->tokenizer,
                  "byte (257 ids), bpe (SentencePiece trained on the input) or an existing "
                  "SentencePiece .model file")
      ->capture_default_str();
  cmd->add_option("--vocab-size", opts->vocab_size,
                  "Vocabulary size for --tokenizer bpe; with --from-shards the ids' vocabulary "
                  "(default 50257, GPT-2's)")
      ->capture_default_str();
  cmd->add_option("--include", opts->include,
                  "Globs for files inside folders, e.g. '*.py' (default: every file)");
  cmd->add_option("--jsonl-field", opts->jsonl_field, "Text field of JSONL records")
      ->capture_default_str();
  cmd->add_option("--val-fraction", opts->val_fraction,
                  "Fraction of documents held out for validation")
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed, "Seed of the train/val split and the BPE training sample")
      ->capture_default_str();
  cmd->add_option("--threads", opts->n_threads, "Encoding threads (0 = every core)")
      ->capture_default_str();
  cmd->add_option("--shard-tokens", opts->shard_tokens, "Tokens per shard file")
      ->capture_default_str()
      ->check(FinitePositive);
  cmd->add_option("--bpe-sample-lines", opts->bpe_sample_lines,
                  "Lines sampled from the train documents to train BPE on")
      ->capture_default_str()
      ->check(FinitePositive);
  cmd->add_flag("--force", opts->force, "Replace an existing dataset in --out");
  cmd->add_flag("--json", a->json, "Machine-readable summary on stdout");
  cmd->footer(
      "Examples:\n"
      "  scalelab prepare --input ~/.cache/scalelab/corpora/kjv --out datasets/kjv --tokenizer bpe "
      "--vocab-size 4096\n"
      "  scalelab prepare --input src/ --include '*.py' --out datasets/py --tokenizer "
      "datasets/kjv/tokenizer.model\n"
      "  scalelab prepare --input docs.jsonl --jsonl-field text --out datasets/web --tokenizer "
      "byte\n"
      "  scalelab prepare --input input.txt --out datasets/shakespeare   # one file: split by "
      "position\n"
      "  scalelab prepare --from-shards llm.c/dev/data/fineweb10B --out datasets/fineweb");
  cmd->callback([a, cmd] {
    if (!a->shards.from_dir.empty())
      import_token_files(*a, cmd->count("--vocab-size") > 0);
    else
      prepare_text(*a);
  });
}

}  // namespace scalelab::cli
