// scalelab export --hf RUN_DIR OUT_DIR [--force] [--json]: a run's newest checkpoint as a Hugging
// Face Llama model folder (config.json, model.safetensors, tokenizer.model when SentencePiece).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "common/checked_io.h"
#include "common/log.h"
#include "common/text.h"
#include "data/hf_tokenizer.h"
#include "data/manifest.h"
#include "model/export_hf.h"
#include "trainer/checkpoint.h"

namespace scalelab::cli {

namespace {
namespace fs = std::filesystem;

// Files an export writes; --force replaces them and removes the ones this export does not write.
const char* const kExportFiles[] = {
    "config.json",    "model.safetensors",     "generation_config.json",
    "tokenizer.json", "tokenizer_config.json", "tokenizer.model"};

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The dataset's manifest, or nullopt with a warning: the weights are worth exporting even when
// the dataset folder has moved since training.
std::optional<data::Manifest> dataset_manifest(const std::string& data_path) {
  try {
    return data::read_manifest(data_path);
  } catch (const std::exception& e) {
    log::warn(std::string("[export] no tokenizer exported: ") + e.what());
    return std::nullopt;
  }
}

void prepare_out_dir(const fs::path& out, bool force) {
  if (fs::exists(out) && !fs::is_directory(out))
    throw std::runtime_error("output " + out.string() + " exists and is not a folder");
  if (fs::is_directory(out) && !fs::is_empty(out) && !force)
    throw std::runtime_error("output folder " + out.string() +
                             " is not empty; pass --force to overwrite the exported files in it");
  make_directories(out.string());
  for (const char* name : kExportFiles) fs::remove(out / name);
}

}  // namespace

void add_export_command(CLI::App& app) {
  struct Options {
    std::string run_dir, out_dir;
    bool hf = false, force = false, json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("export", "Export a trained run to another library's format");
  cmd->add_flag("--hf", opts->hf, "Hugging Face Llama format (LlamaForCausalLM)")->required();
  cmd->add_option("run_dir", opts->run_dir, "Run folder written by `scalelab train`")->required();
  cmd->add_option("out_dir", opts->out_dir, "Folder to write (must be empty unless --force)")
      ->required();
  cmd->add_flag("--force", opts->force, "Overwrite the exported files in a non-empty OUT_DIR");
  cmd->add_flag("--json", opts->json, "Print the result as JSON");
  cmd->footer(
      "Writes config.json, model.safetensors (fp32), generation_config.json and the tokenizer\n"
      "(byte: tokenizer.json; SentencePiece: tokenizer.model) with tokenizer_config.json, from\n"
      "the run's newest checkpoint. AutoTokenizer, AutoModelForCausalLM and\n"
      "pipeline(\"text-generation\", model=OUT_DIR) load it as it is (a SentencePiece tokenizer\n"
      "needs `pip install sentencepiece protobuf`). Prompts get the end-of-document token first,\n"
      "as every training document had. vocab_size is the padded row\n"
      "count (model.pad_vocab_multiple). norm: layernorm, mlp: gelu, pos: learned | alibi are\n"
      "refused: Llama cannot express them.");
  cmd->callback([opts] {
    const fs::path run(opts->run_dir), out(opts->out_dir);
    // Refuse what Llama cannot express before the slow part (loading the checkpoint).
    if (fs::is_regular_file(run / "config.yaml"))
      check_llama_compatible(
          parse_config(read_text(run / "config.yaml"), (run / "config.yaml").string()).model);
    RunModel loaded = load_run_model(run.string());
    const Config& config = loaded.config;
    const auto& checkpoint = loaded.checkpoint;
    const TrainState& state = loaded.state;

    const auto manifest = dataset_manifest(config.data.path);
    prepare_out_dir(out, opts->force);
    write_llama(loaded.model, out.string(),
                manifest ? std::optional<int64_t>(manifest->eot_token) : std::nullopt);
    std::vector<std::string> files = {"config.json", "model.safetensors"};
    if (manifest) {
      files.push_back("generation_config.json");
      for (const auto& f : data::write_hf_tokenizer(out.string(), *manifest, config.data.path,
                                                    config.model.block_size))
        files.push_back(f);
    }

    const ModelConfig& m = config.model;
    nlohmann::json result = {
        {"out_dir", out.string()},
        {"checkpoint", checkpoint},
        {"step", state.step},
        {"files", files},
        {"vocab_size", m.vocab_size},
        {"padded_vocab_size", m.padded_vocab()},
        {"tokenizer", manifest ? nlohmann::json(manifest->tokenizer) : nullptr}};
    if (opts->json) {
      std::printf("%s\n", result.dump(2).c_str());
      return;
    }
    std::printf("exported %s (step %ld) to %s\n", checkpoint.c_str(), static_cast<long>(state.step),
                out.string().c_str());
    for (const auto& f : files)
      std::printf("  %-24s %s\n", f.c_str(),
                  (human(static_cast<double>(fs::file_size(out / f))) + "B").c_str());
    if (m.padded_vocab() != m.vocab_size)
      std::printf("  vocab_size %ld in config.json: %ld tokenizer ids + %ld padding rows\n",
                  static_cast<long>(m.padded_vocab()), static_cast<long>(m.vocab_size),
                  static_cast<long>(m.padded_vocab() - m.vocab_size));
    if (manifest && manifest->tokenizer == "external")
      std::printf("  no tokenizer: the dataset's ids were made outside scalelab\n");
  });
}

}  // namespace scalelab::cli
