// Derived model sizes and the validation rules of every section.
#include <cmath>

#include "configs/config.h"

namespace scalelab {

int64_t ModelConfig::ffn_dim() const {
  if (ffn_hidden > 0) return ffn_hidden;
  // Llama: 2/3 of 4d for SwiGLU keeps the MLP's parameters equal to a 4d GELU MLP.
  int64_t hidden = mlp == Mlp::swiglu ? (8 * n_embd) / 3 : 4 * n_embd;
  int64_t m = std::max<int64_t>(ffn_multiple_of, 1);
  return (hidden + m - 1) / m * m;
}

int64_t ModelConfig::padded_vocab() const {
  int64_t m = std::max<int64_t>(pad_vocab_multiple, 1);
  return (vocab_size + m - 1) / m * m;
}

namespace {

void require(bool ok, const std::string& key, const std::string& rule) {
  if (!ok) throw ConfigError(key + ": " + rule);
}

void positive(int64_t v, const std::string& key) {
  require(v > 0, key, "must be positive (got " + std::to_string(v) + ")");
}
void non_negative(double v, const std::string& key) {
  require(v >= 0, key, "must not be negative (got " + std::to_string(v) + ")");
}
void fraction(double v, const std::string& key) {
  require(v >= 0 && v <= 1, key, "must lie in [0, 1] (got " + std::to_string(v) + ")");
}

// mup/completep (model/parameterization.h): a base shape no larger than the model, and only the
// options whose scaling the rules cover.
void validate_parameterization(const ModelConfig& m, const std::string& p) {
  const std::string name = to_string(m.parameterization);
  require(m.base_width >= 0, p + "base_width", "must not be negative (0 means n_embd)");
  require(m.base_depth >= 0, p + "base_depth", "must not be negative (0 means n_layer)");
  if (m.parameterization == Parameterization::standard) {
    require(m.base_width == 0, p + "base_width",
            "is set, but model.parameterization is standard; set it to mup or completep");
    require(m.base_depth == 0, p + "base_depth",
            "is set, but model.parameterization is standard; set it to completep");
    return;
  }
  require(m.base_width <= m.n_embd, p + "base_width",
          std::to_string(m.base_width) + " exceeds model.n_embd " + std::to_string(m.n_embd) +
              " (the base model is the smallest the hyperparameters were tuned at)");
  require(m.base_depth <= m.n_layer, p + "base_depth",
          std::to_string(m.base_depth) + " exceeds model.n_layer " + std::to_string(m.n_layer));
  require(m.parameterization == Parameterization::completep || m.base_depth == 0, p + "base_depth",
          "is a completep setting; model.parameterization is " + name);
  // ALiBi's bias is added to scores whose scale muP changes (1/head_dim): its slopes would no
  // longer mean what Press et al. 2022 tuned them for, and no muP rule covers them.
  require(m.pos != PosEncoding::alibi, p + "pos",
          "alibi is not supported with model.parameterization " + name + " (use rope or learned)");
}

}  // namespace

void validate(const ModelConfig& m, const std::string& p) {
  positive(m.vocab_size, p + "vocab_size");
  positive(m.block_size, p + "block_size");
  positive(m.n_layer, p + "n_layer");
  positive(m.n_head, p + "n_head");
  positive(m.n_embd, p + "n_embd");
  require(m.n_kv_head >= 0, p + "n_kv_head", "must not be negative (0 means n_head)");
  require(m.ffn_hidden >= 0, p + "ffn_hidden", "must not be negative (0 means automatic)");
  positive(m.ffn_multiple_of, p + "ffn_multiple_of");
  positive(m.pad_vocab_multiple, p + "pad_vocab_multiple");
  require(m.n_embd % m.n_head == 0, p + "n_embd",
          "must be divisible by " + p + "n_head (" + std::to_string(m.n_embd) + " % " +
              std::to_string(m.n_head) + " != 0)");
  require(m.n_head % m.kv_heads() == 0, p + "n_head",
          "must be divisible by " + p + "n_kv_head (" + std::to_string(m.n_head) + " % " +
              std::to_string(m.kv_heads()) + " != 0)");
  require(m.kv_heads() <= m.n_head, p + "n_kv_head", "must not exceed " + p + "n_head");
  if (m.pos == PosEncoding::rope)
    require(m.head_dim() % 2 == 0, p + "n_embd",
            "rotary embeddings need an even head dimension (n_embd / n_head = " +
                std::to_string(m.head_dim()) + ")");
  require(m.rope_theta > 0, p + "rope_theta", "must be positive");
  require(m.norm_eps > 0 && m.norm_eps < 1, p + "norm_eps", "must lie in (0, 1)");
  require(m.init_std > 0 && std::isfinite(m.init_std), p + "init_std",
          "must be positive (got " + std::to_string(m.init_std) + "; GPT-2's is 0.02)");
  validate_parameterization(m, p);
}

void validate(const Config& c) {
  validate(c.model);
  const auto& o = c.optim;
  require(o.lr > 0, "optim.lr", "must be positive");
  non_negative(o.min_lr, "optim.min_lr");
  require(o.min_lr <= o.lr, "optim.min_lr", "must not exceed optim.lr");
  require(o.beta1 >= 0 && o.beta1 < 1, "optim.beta1", "must lie in [0, 1)");
  require(o.beta2 >= 0 && o.beta2 < 1, "optim.beta2", "must lie in [0, 1)");
  require(o.eps > 0, "optim.eps", "must be positive");
  non_negative(o.weight_decay, "optim.weight_decay");
  non_negative(o.grad_clip, "optim.grad_clip");

  require(c.schedule.warmup_steps >= 0, "schedule.warmup_steps", "must not be negative");
  fraction(c.schedule.warmup_fraction, "schedule.warmup_fraction");
  fraction(c.schedule.decay_fraction, "schedule.decay_fraction");

  require(std::isfinite(c.data.unique_tokens) && c.data.unique_tokens >= 0, "data.unique_tokens",
          "must be a finite number >= 0 (0 = the whole train split)");
  const auto& t = c.train;
  positive(t.batch_size, "train.batch_size");
  require(t.micro_batch_size >= 0, "train.micro_batch_size",
          "must not be negative (0 = automatic)");
  require(t.steps >= 0, "train.steps", "must not be negative");
  non_negative(t.tokens, "train.tokens");
  non_negative(t.flops, "train.flops");
  int n_budgets = (t.steps > 0) + (t.tokens > 0) + (t.flops > 0);
  require(n_budgets <= 1, "train.steps", "set only one of train.steps, train.tokens, train.flops");
  require(t.threads >= 0, "train.threads", "must not be negative (0 = default)");
  require(t.device == "auto" || t.device == "cpu" || t.device.rfind("cuda", 0) == 0, "train.device",
          "expected auto, cpu, cuda or cuda:K (got '" + t.device + "')");

  require(c.eval.every >= 0, "eval.every", "must not be negative");
  positive(c.eval.n_batches, "eval.n_batches");
  require(c.eval.batch_size >= 0, "eval.batch_size", "must not be negative (0 = train.batch_size)");
  require(c.eval.early_stop_patience >= 0, "eval.early_stop_patience", "must not be negative");
  require(c.checkpoint.every >= 0, "checkpoint.every", "must not be negative");
  require(std::isfinite(c.checkpoint.every_seconds) && c.checkpoint.every_seconds >= 0,
          "checkpoint.every_seconds",
          "must be a finite number >= 0 (0 = no time-based checkpoints)");
  positive(c.checkpoint.keep, "checkpoint.keep");
  positive(c.log.every, "log.every");
}

void validate_training(const Config& c, int world_size) {
  require(!c.data.path.empty(), "data.path",
          "not set; give the dataset folder from `scalelab prepare`");
  require(c.train.steps > 0 || c.train.tokens > 0 || c.train.flops > 0, "train",
          "no budget; set one of train.steps, train.tokens or train.flops");
  const int64_t B = c.train.batch_size;
  require(B % world_size == 0, "train.batch_size",
          std::to_string(B) + " is not divisible by the world size " + std::to_string(world_size));
  const int64_t rows_per_rank = B / world_size;
  const int64_t micro = c.train.micro_batch_size > 0 ? c.train.micro_batch_size : rows_per_rank;
  require(rows_per_rank % micro == 0, "train.micro_batch_size",
          std::to_string(micro) + " must divide the rows per rank (" +
              std::to_string(rows_per_rank) + ")");
}

}  // namespace scalelab
