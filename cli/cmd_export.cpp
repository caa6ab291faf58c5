// scalelab export --hf RUN_DIR OUT_DIR [--force] [--dataset DIR] [--weights-only] [--json]: a
// run's newest checkpoint as a Hugging Face Llama model folder (config.json, model.safetensors,
// the tokenizer recorded in the run folder).
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/checked_io.h"
#include "common/staged_folder.h"
#include "common/text.h"
#include "data/hf_tokenizer.h"
#include "data/run_dataset.h"
#include "model/export_hf.h"
#include "trainer/checkpoint.h"

namespace scalelab::cli {

namespace {
namespace fs = std::filesystem;

// Files an export writes; --force replaces them and removes the ones this export does not write.
const char* const kExportFiles[] = {
    "config.json",    "model.safetensors",     "generation_config.json",
    "tokenizer.json", "tokenizer_config.json", "tokenizer.model"};

bool is_export_file(const fs::path& p) {
  for (const char* name : kExportFiles)
    if (p.filename() == name) return true;
  return false;
}

struct ExportArgs {
  std::string run_dir, out_dir, dataset;
  bool hf = false, force = false, json = false, weights_only = false;
};

// The path with symlinks and ".." resolved, as far as it exists, and no trailing separator.
fs::path real_path(const fs::path& p) {
  fs::path real = fs::weakly_canonical(fs::absolute(p));
  return real.filename().empty() ? real.parent_path() : real;
}

bool is_inside(const fs::path& path, const fs::path& folder) {
  const fs::path a = real_path(path), b = real_path(folder);
  auto ai = a.begin();
  for (auto bi = b.begin(); bi != b.end(); ++bi, ++ai)
    if (ai == a.end() || *ai != *bi) return false;
  return true;
}

// OUT_DIR must not mix the export with what it reads: the run folder, its dataset (the tokenizer's
// source), or a folder inside them. Then a file that is not a folder, or a non-empty folder without
// --force.
void check_out_dir(const ExportArgs& a, const std::optional<data::DatasetRecord>& source) {
  const fs::path out(a.out_dir);
  if (is_inside(out, a.run_dir))
    throw std::runtime_error("output " + a.out_dir + ": is the run folder " + a.run_dir +
                             (real_path(out) == real_path(a.run_dir) ? "" : " or inside it") +
                             "; export into a folder outside it");
  if (source)
    for (const std::string& dataset : {source->path, source->tokenizer_dir})
      if (!dataset.empty() && fs::exists(dataset) && is_inside(out, dataset) &&
          !is_inside(dataset, a.run_dir))
        throw std::runtime_error("output " + a.out_dir + ": is the dataset " + dataset +
                                 " the run trained on (or inside it); export into another folder");
  if (fs::exists(out) && !fs::is_directory(out))
    throw std::runtime_error("output " + a.out_dir + " exists and is not a folder");
  if (fs::is_directory(out) && !fs::is_empty(out) && !a.force)
    throw std::runtime_error("output folder " + a.out_dir +
                             " is not empty; pass --force to replace the exported files in it");
}

// The run's tokenizer (its record, or --dataset), or nullopt with --weights-only.
std::optional<data::DatasetRecord> tokenizer_source(const ExportArgs& a, const Config& config) {
  if (a.weights_only) return std::nullopt;
  try {
    return data::run_tokenizer_source(a.run_dir, config.data.path, a.dataset);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + " (or --weights-only for the weights alone)");
  }
}

// Writes the export into a folder beside OUT_DIR and moves it in once complete (replacing only
// the exported files of a forced OUT_DIR): a failure, such as a full disk, leaves OUT_DIR as it
// was. Returns the files written.
std::vector<std::string> write_export(const ExportArgs& a, RunModel& run,
                                      const std::optional<data::DatasetRecord>& source) {
  const fs::path staged = make_staging_dir(a.out_dir, "the export");
  try {
    const auto eot = source ? std::optional<int64_t>(source->manifest.eot_token) : std::nullopt;
    write_llama(run.model, staged.string(), eot);
    std::vector<std::string> files = {"config.json", "model.safetensors"};
    if (source) {
      files.push_back("generation_config.json");
      for (const auto& f :
           data::write_hf_tokenizer(staged.string(), source->manifest, source->tokenizer_dir,
                                    run.config.model.block_size))
        files.push_back(f);
    }
    swap_in(staged, a.out_dir, is_export_file, "config.json");
    return files;
  } catch (...) {
    std::error_code ec;  // best effort: the original error is the one to report
    fs::remove_all(staged, ec);
    throw;
  }
}

void print_export(const ExportArgs& a, const RunModel& run,
                  const std::optional<data::DatasetRecord>& source,
                  const std::vector<std::string>& files) {
  const ModelConfig& m = run.config.model;
  const std::string tokenizer = source ? source->manifest.tokenizer : "";
  if (a.json) {
    const nlohmann::json result = {{"out_dir", a.out_dir},
                                   {"checkpoint", run.checkpoint},
                                   {"step", run.state.step},
                                   {"files", files},
                                   {"vocab_size", m.vocab_size},
                                   {"padded_vocab_size", m.padded_vocab()},
                                   {"tokenizer", source ? nlohmann::json(tokenizer) : nullptr}};
    std::printf("%s\n", result.dump(2).c_str());
    return;
  }
  std::printf("exported %s (step %ld) to %s\n", run.checkpoint.c_str(),
              static_cast<long>(run.state.step), a.out_dir.c_str());
  for (const auto& f : files)
    std::printf("  %-24s %s\n", f.c_str(),
                (human(static_cast<double>(fs::file_size(fs::path(a.out_dir) / f))) + "B").c_str());
  if (m.padded_vocab() != m.vocab_size)
    std::printf("  vocab_size %ld in config.json: %ld tokenizer ids + %ld padding rows\n",
                static_cast<long>(m.padded_vocab()), static_cast<long>(m.vocab_size),
                static_cast<long>(m.padded_vocab() - m.vocab_size));
  if (!source) std::printf("  no tokenizer (--weights-only)\n");
  if (tokenizer == "external")
    std::printf("  no tokenizer: the dataset's ids were made outside scalelab\n");
}

void export_hf(const ExportArgs& a) {
  const fs::path run_dir(a.run_dir);
  // Refuse what Llama cannot express, and a bad OUT_DIR, before the slow part (the checkpoint).
  const fs::path config_path = run_dir / "config.yaml";
  if (!fs::is_regular_file(config_path))
    throw std::runtime_error("run folder " + a.run_dir +
                             " has no config.yaml (not a scalelab run?)");
  const Config config = parse_config(read_text_file(config_path.string()), config_path.string());
  check_llama_compatible(config.model);
  const auto source = tokenizer_source(a, config);
  check_out_dir(a, source);
  RunModel run = load_run_model(a.run_dir);
  const auto files = write_export(a, run, source);
  print_export(a, run, source, files);
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto opts = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand("export", "Export a trained run to another library's format");
  cmd->add_flag("--hf", opts->hf, "Hugging Face Llama format (LlamaForCausalLM)")->required();
  cmd->add_option("run_dir", opts->run_dir, "Run folder written by `scalelab train`")->required();
  cmd->add_option("out_dir", opts->out_dir,
                  "Folder to write, outside the run folder (must be empty unless --force)")
      ->required();
  cmd->add_flag("--force", opts->force, "Replace the exported files in a non-empty OUT_DIR");
  cmd->add_option("--dataset", opts->dataset,
                  "The dataset whose tokenizer to export, for a run trained before run folders "
                  "recorded theirs (dataset.json) whose dataset is not where it was");
  cmd->add_flag("--weights-only", opts->weights_only,
                "Export config.json and model.safetensors without a tokenizer");
  cmd->add_flag("--json", opts->json, "Print the result as JSON");
  cmd->footer(
      "Writes config.json, model.safetensors (fp32), generation_config.json and the tokenizer\n"
      "(byte: tokenizer.json; SentencePiece: tokenizer.model) with tokenizer_config.json, from\n"
      "the run's newest checkpoint and the tokenizer recorded in the run folder (works from any\n"
      "directory). The folder is built beside OUT_DIR and moved in once complete, so a failure\n"
      "(a full disk) leaves OUT_DIR as it was. AutoTokenizer, AutoModelForCausalLM and\n"
      "pipeline(\"text-generation\", model=OUT_DIR) load it as it is (a SentencePiece tokenizer\n"
      "needs `pip install sentencepiece protobuf`). Prompts get the end-of-document token first,\n"
      "as every training document had. vocab_size is the padded row\n"
      "count (model.pad_vocab_multiple). norm: layernorm, mlp: gelu, pos: learned | alibi are\n"
      "refused: Llama cannot express them.");
  cmd->callback([opts] { export_hf(*opts); });
}

}  // namespace scalelab::cli
