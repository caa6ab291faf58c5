// Typed configuration: one struct per YAML section, field names identical to the YAML keys.
// Each struct lists its fields once in visit(); parsing, emitting and --set all go through it,
// so there is no string-keyed lookup after parsing.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace scalelab {

// A bad configuration: the message names the key path and the rule it breaks.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Norm { rmsnorm, layernorm };
enum class Mlp { swiglu, gelu };
enum class PosEncoding { rope, learned, alibi };
enum class Schedule { cosine, linear, constant, wsd };
enum class DecayShape {
  linear,
  one_minus_sqrt
};  // WSD cooldown: linear or 1 - sqrt (Hagele et al. 2024)
enum class Precision { auto_, fp32, bf16 };
// How initialisation, multipliers and per-group learning rates scale with width and depth:
// standard (GPT-2), mup (Yang et al. 2022) or completep (mup plus depth, Dey et al. 2025);
// model/parameterization.h has the rules.
enum class Parameterization { standard, mup, completep };
enum class FlopConvention { six_n, six_n_total, litgpt, chinchilla, palm };

struct ModelConfig {
  int64_t vocab_size = 256;  // tokenizer's vocabulary (the dataset's manifest must fit it)
  int64_t block_size = 64;   // context length T
  int64_t n_layer = 2;
  int64_t n_head = 2;
  int64_t n_kv_head = 0;  // 0 = n_head (multi-head); fewer = grouped-query attention
  int64_t n_embd = 32;
  int64_t ffn_hidden = 0;        // 0 = Llama's rule: 8/3 n_embd (swiglu) or 4 n_embd (gelu)
  int64_t ffn_multiple_of = 16;  // the automatic ffn_hidden is rounded up to this
  Norm norm = Norm::rmsnorm;
  Mlp mlp = Mlp::swiglu;
  PosEncoding pos = PosEncoding::rope;
  double rope_theta = 10000.0;
  double norm_eps = 1e-5;
  bool tie_embeddings = true;
  int64_t pad_vocab_multiple = 1;  // 64 pads the embedding rows for faster matmuls
  Parameterization parameterization = Parameterization::standard;
  int64_t base_width = 0;  // mup/completep: the n_embd whose hyperparameters transfer; 0 = n_embd
  int64_t base_depth = 0;  // completep: the n_layer whose hyperparameters transfer; 0 = n_layer
  // Initial std of the embeddings and weight matrices (GPT-2's 0.02); under mup/completep the
  // base width's, which muP carries to every width like the lr (model/parameterization.h).
  double init_std = 0.02;

  int64_t kv_heads() const { return n_kv_head > 0 ? n_kv_head : n_head; }
  int64_t head_dim() const { return n_embd / n_head; }
  int64_t ffn_dim() const;
  int64_t padded_vocab() const;
  int64_t mup_base_width() const { return base_width > 0 ? base_width : n_embd; }
  int64_t mup_base_depth() const { return base_depth > 0 ? base_depth : n_layer; }

  template <class V>
  void visit(V&& v) {
    v("vocab_size", vocab_size);
    v("block_size", block_size);
    v("n_layer", n_layer);
    v("n_head", n_head);
    v("n_kv_head", n_kv_head);
    v("n_embd", n_embd);
    v("ffn_hidden", ffn_hidden);
    v("ffn_multiple_of", ffn_multiple_of);
    v("norm", norm);
    v("mlp", mlp);
    v("pos", pos);
    v("rope_theta", rope_theta);
    v("norm_eps", norm_eps);
    v("tie_embeddings", tie_embeddings);
    v("pad_vocab_multiple", pad_vocab_multiple);
    v("parameterization", parameterization);
    v("base_width", base_width);
    v("base_depth", base_depth);
    v("init_std", init_std);
  }
};

struct DataConfig {
  std::string path;  // dataset folder written by `scalelab prepare`
  // > 0: train on the first U tokens of the train split only, repeated epoch after epoch in a
  // fresh order each (limited-data runs, Muennighoff et al. 2023); 0 = the whole split
  double unique_tokens = 0;
  template <class V>
  void visit(V&& v) {
    v("path", path);
    v("unique_tokens", unique_tokens);
  }
};

struct OptimConfig {
  double lr = 1e-3;
  double min_lr = 1e-4;  // the decay's floor
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;  // matrices only; norms and biases are not decayed
  double grad_clip = 1.0;     // global norm; 0 = off
  template <class V>
  void visit(V&& v) {
    v("lr", lr);
    v("min_lr", min_lr);
    v("beta1", beta1);
    v("beta2", beta2);
    v("eps", eps);
    v("weight_decay", weight_decay);
    v("grad_clip", grad_clip);
  }
};

struct ScheduleConfig {
  Schedule kind = Schedule::cosine;
  int64_t warmup_steps = 0;
  double warmup_fraction = 0.0;                 // used when warmup_steps is 0
  double decay_fraction = 0.2;                  // WSD: the final fraction of steps that decays
  DecayShape decay_shape = DecayShape::linear;  // WSD: how the lr falls to min_lr
  template <class V>
  void visit(V&& v) {
    v("kind", kind);
    v("warmup_steps", warmup_steps);
    v("warmup_fraction", warmup_fraction);
    v("decay_fraction", decay_fraction);
    v("decay_shape", decay_shape);
  }
};

struct TrainConfig {
  int64_t batch_size = 8;        // global sequences per optimizer step, whatever the world size
  int64_t micro_batch_size = 0;  // per rank and micro-step; 0 = batch_size / world size
  int64_t steps = 0;             // exactly one of steps, tokens, flops sets the budget
  double tokens = 0;             // D
  double flops = 0;              // C, counted under flop_convention
  FlopConvention flop_convention = FlopConvention::six_n;
  int64_t seed = 1337;          // initial weights, and the data order unless data_seed is set
  int64_t data_seed = 0;        // data order alone (which windows each step trains on); 0 = seed
  std::string device = "auto";  // auto | cpu | cuda | cuda:K
  Precision precision = Precision::auto_;  // auto = bf16 autocast on CUDA, fp32 on CPU
  int64_t threads = 0;                     // CPU intra-op threads; 0 = LibTorch's default
  template <class V>
  void visit(V&& v) {
    v("batch_size", batch_size);
    v("micro_batch_size", micro_batch_size);
    v("steps", steps);
    v("tokens", tokens);
    v("flops", flops);
    v("flop_convention", flop_convention);
    v("seed", seed);
    v("data_seed", data_seed);
    v("device", device);
    v("precision", precision);
    v("threads", threads);
  }
};

struct EvalConfig {
  int64_t every = 0;                // steps between evaluations; 0 = only at the end
  int64_t n_batches = 8;            // fixed validation windows: n_batches x batch_size
  int64_t batch_size = 0;           // 0 = train.batch_size
  int64_t early_stop_patience = 0;  // evaluations without improvement before stopping; 0 = off
  template <class V>
  void visit(V&& v) {
    v("every", every);
    v("n_batches", n_batches);
    v("batch_size", batch_size);
    v("early_stop_patience", early_stop_patience);
  }
};

struct CheckpointConfig {
  int64_t every = 0;           // steps between checkpoints; 0 = by time and at the end only
  double every_seconds = 600;  // also after a step once this long has passed since the last
                               // checkpoint, so a killed run loses little; 0 = off
  int64_t keep = 2;            // newest K kept
  template <class V>
  void visit(V&& v) {
    v("every", every);
    v("every_seconds", every_seconds);
    v("keep", keep);
  }
};

struct LogConfig {
  int64_t every = 10;        // steps between metrics lines
  bool tensorboard = false;  // also write TensorBoard event files (run_dir/tensorboard/)
  template <class V>
  void visit(V&& v) {
    v("every", every);
    v("tensorboard", tensorboard);
  }
};

struct Config {
  ModelConfig model;
  DataConfig data;
  OptimConfig optim;
  ScheduleConfig schedule;
  TrainConfig train;
  EvalConfig eval;
  CheckpointConfig checkpoint;
  LogConfig log;
  template <class V>
  void visit(V&& v) {
    v.section("model", model);
    v.section("data", data);
    v.section("optim", optim);
    v.section("schedule", schedule);
    v.section("train", train);
    v.section("eval", eval);
    v.section("checkpoint", checkpoint);
    v.section("log", log);
  }
};

// The seed of the training data's order: train.data_seed, or train.seed when that is 0, so a
// config without data_seed trains exactly as before it existed. Separate seeds let a pilot tell
// the loss noise of the initial weights from that of the data order (experiments/demo/NOISE.md).
inline int64_t data_order_seed(const TrainConfig& train) {
  return train.data_seed != 0 ? train.data_seed : train.seed;
}

// Names of enum values as written in YAML.
std::string to_string(Norm);
std::string to_string(Mlp);
std::string to_string(PosEncoding);
std::string to_string(Schedule);
std::string to_string(DecayShape);
std::string to_string(Precision);
std::string to_string(FlopConvention);
std::string to_string(Parameterization);

// Parses text (a YAML document) into a Config; `origin` names the source in errors.
// `overrides` are "key.path=value" strings applied before validation.
Config parse_config(const std::string& yaml_text, const std::string& origin,
                    const std::vector<std::string>& overrides = {});
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
std::string to_yaml(const Config& config);

// Checks ranges and cross-field rules; throws ConfigError naming the key path.
void validate(const Config& config);
void validate(const ModelConfig& model, const std::string& prefix = "model.");
// The rules a config must meet to train at this world size (a dataset, a budget, a global batch
// that splits into ranks and micro-batches); throws ConfigError naming the key.
void validate_training(const Config& config, int world_size);

}  // namespace scalelab
