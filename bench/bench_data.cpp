// Data benchmark (not a test): prepare throughput per tokenizer and thread count, and loader
// throughput, on a real corpus. Prints one JSON object; bench/bench_data.sh adds spm_encode on the
// same input and the machine, and stores the result under bench/results/.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "data/loader.h"
#include "data/prepare.h"

namespace fs = std::filesystem;
using namespace scalelab::data;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs prepare `repeats` times into a fresh folder; returns the encode-pass figures.
nlohmann::json time_prepare(PrepareOptions o, int repeats) {
  std::vector<double> mb_per_s;
  PrepareResult r;
  for (int i = 0; i < repeats; ++i) {
    o.force = true;
    r = prepare(o);
    mb_per_s.push_back(r.n_input_bytes / 1e6 / r.encode_seconds);
  }
  const auto& m = r.manifest;
  return {{"tokenizer", o.tokenizer == "byte" || o.tokenizer == "bpe" ? o.tokenizer : "model file"},
          {"n_threads", r.n_threads},
          {"n_input_bytes", r.n_input_bytes},
          {"n_tokens", m.n_train_tokens + m.n_val_tokens},
          {"encode_mb_per_s_median", median(mb_per_s)},
          {"encode_mb_per_s_all", mb_per_s},
          {"tokenizer_seconds", r.tokenizer_seconds}};
}

// Fills global batches for about `seconds`; tokens/s counts the block_size + 1 ids per row.
nlohmann::json time_loader(const std::string& dir, int64_t block_size, int64_t rows,
                           int64_t rows_per_step, double seconds) {
  TrainLoader loader(dir, block_size, 1234, rows_per_step);
  std::vector<int64_t> out(rows * (block_size + 1));
  const auto start = std::chrono::steady_clock::now();
  int64_t step = 0;
  double elapsed = 0;
  int64_t checksum = 0;  // keeps the copies observable
  while (elapsed < seconds) {
    loader.fill(step++, 0, rows, out.data());
    checksum += out[step % out.size()];
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const double tokens_per_s = step * rows * (block_size + 1) / elapsed;
  return {{"block_size", block_size},
          {"rows_per_fill", rows},
          {"mode", rows_per_step ? "epoch" : "uniform"},
          {"steps", step},
          {"seconds", elapsed},
          {"tokens_per_s", tokens_per_s},
          {"checksum", checksum},
          {"n_train_tokens", loader.n_tokens()}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"scalelab data benchmark: prepare MB/s and loader tokens/s"};
  std::vector<std::string> inputs;
  std::string work;
  int64_t vocab_size = 4096, block_size = 1024, rows = 64;
  int repeats = 3;
  double loader_seconds = 3;
  app.add_option("--input", inputs, "Corpus files or folders")->required();
  app.add_option("--work", work, "Scratch folder for the datasets")->required();
  app.add_option("--vocab-size", vocab_size)->capture_default_str();
  app.add_option("--repeats", repeats)->capture_default_str();
  app.add_option("--block-size", block_size)->capture_default_str();
  app.add_option("--rows", rows, "Rows per loader fill (a global batch)")->capture_default_str();
  app.add_option("--loader-seconds", loader_seconds)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    PrepareOptions o;
    o.inputs = inputs;
    o.vocab_size = vocab_size;
    nlohmann::json result = {{"config",
                              {{"inputs", inputs},
                               {"vocab_size", vocab_size},
                               {"repeats", repeats},
                               {"hardware_threads", std::thread::hardware_concurrency()}}}};
    // BPE trained once; the timed runs then encode with that model, so they measure encoding only.
    o.tokenizer = "bpe";
    o.out_dir = (fs::path(work) / "bpe").string();
    o.force = true;
    result["prepare_bpe_train"] = time_prepare(o, 1);
    const std::string model = (fs::path(work) / "tokenizer.model").string();
    fs::copy_file(fs::path(o.out_dir) / "tokenizer.model", model,
                  fs::copy_options::overwrite_existing);
    o.tokenizer = model;
    o.out_dir = (fs::path(work) / "model").string();
    o.n_threads = 0;
    result["prepare_bpe_all_threads"] = time_prepare(o, repeats);
    o.n_threads = 1;
    result["prepare_bpe_1_thread"] = time_prepare(o, repeats);
    o.tokenizer = "byte";
    o.n_threads = 0;
    o.out_dir = (fs::path(work) / "byte").string();
    result["prepare_byte_all_threads"] = time_prepare(o, repeats);
    const std::string dataset = (fs::path(work) / "model").string();
    result["loader_uniform"] = time_loader(dataset, block_size, rows, 0, loader_seconds);
    result["loader_epoch"] = time_loader(dataset, block_size, rows, rows, loader_seconds);
    std::printf("%s\n", result.dump(2).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_data: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
