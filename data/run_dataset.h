// What a run folder records of the dataset it trained on (run_dir/dataset.json, and a copy of a
// SentencePiece dataset's tokenizer.model), so that `sample` and `export` need the run folder
// alone, from any directory, even after the dataset has moved (docs/formats.md).
#pragma once

#include <optional>
#include <string>

#include "data/manifest.h"

namespace scalelab::data {

constexpr const char* kDatasetRecordFile = "dataset.json";

struct DatasetRecord {
  std::string path;  // the dataset folder (absolute) when the run last trained
  // tokenizer, tokenizer_model, vocab_size, eot_token and the token counts; no shard lists.
  Manifest manifest;
  std::string tokenizer_dir;           // the folder that holds manifest.tokenizer_model
  std::string tokenizer_model_sha256;  // "" for byte and external
  std::string manifest_sha256;         // of the dataset's manifest.json
};

// The record of the dataset in dataset_dir (its tokenizer model stays there).
DatasetRecord describe_dataset(const std::string& dataset_dir);

// Writes run_dir/dataset.json and, for SentencePiece, run_dir/tokenizer.model, each atomically.
void record_dataset(const std::string& run_dir, const DatasetRecord& dataset);

// run_dir's record (tokenizer_dir = run_dir); nullopt for a run trained before records existed.
// A damaged record is an error naming the file.
std::optional<DatasetRecord> read_dataset_record(const std::string& run_dir);

// Throws, naming both, when `dataset` tokenizes differently from the run's record (a resumed run
// pointed at a dataset made with another tokenizer): the ids would mean other text.
void check_same_tokenizer(const DatasetRecord& recorded, const DatasetRecord& dataset,
                          const std::string& run_dir);

// Where `sample` and `export` find a run's tokenizer: `dataset_override` (--dataset) when given,
// else the run's record, else (a run trained before records existed) the dataset at data_path,
// whose relative path is read from the current directory. Errors name what was tried and what
// to pass.
DatasetRecord run_tokenizer_source(const std::string& run_dir, const std::string& data_path,
                                   const std::string& dataset_override = "");

}  // namespace scalelab::data
