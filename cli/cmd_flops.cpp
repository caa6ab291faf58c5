// scalelab flops --config FILE: parameters (total, embedding, non-embedding) and training FLOPs per
// token and per step under every convention.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/text.h"
#include "core/counts.h"

namespace scalelab::cli {

void add_flops_command(CLI::App& app) {
  struct Options {
    std::string config;
    std::vector<std::string> overrides;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd =
      app.add_subcommand("flops", "Parameter counts and FLOPs per token under every convention");
  cmd->add_option("--config", opts->config, "Config YAML (e.g. configs/train/tiny.yaml)")
      ->required();
  cmd->add_option("--set", opts->overrides, "Override a field: key.path=value (repeatable)");
  cmd->add_flag("--json", opts->json, "Machine-readable output");
  cmd->callback([opts] {
    Config config = load_config(opts->config, opts->overrides);
    const ModelConfig& m = config.model;
    ParamCounts p = count_params(m);
    const double tokens_per_step = double(config.train.batch_size) * m.block_size;
    auto flops = all_training_flops(m);
    if (opts->json) {
      nlohmann::json j;
      j["params"] = {{"total", p.total},
                     {"embedding", p.embedding},
                     {"non_embedding", p.non_embedding},
                     {"token_embedding", p.token_embedding},
                     {"position_embedding", p.position_embedding},
                     {"lm_head", p.lm_head},
                     {"attention", p.attention},
                     {"mlp", p.mlp},
                     {"norms", p.norms}};
      j["tokens_per_step"] = tokens_per_step;
      for (auto& f : flops)
        j["training_flops"][to_string(f.convention)] = {
            {"per_token", f.per_token}, {"per_step", f.per_token * tokens_per_step}};
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf(
        "model: %ld layers, n_embd %ld, %ld heads (%ld kv), ffn %ld, vocab %ld (padded %ld), T "
        "%ld\n",
        m.n_layer, m.n_embd, m.n_head, m.kv_heads(), m.ffn_dim(), m.vocab_size, m.padded_vocab(),
        m.block_size);
    std::printf("\nparameters\n");
    std::printf("  %-24s %14ld\n", "token embedding", p.token_embedding);
    if (p.position_embedding)
      std::printf("  %-24s %14ld\n", "position embedding", p.position_embedding);
    if (p.lm_head) std::printf("  %-24s %14ld\n", "lm head (untied)", p.lm_head);
    std::printf("  %-24s %14ld\n", "attention", p.attention);
    std::printf("  %-24s %14ld\n", "mlp", p.mlp);
    std::printf("  %-24s %14ld\n", "norms", p.norms);
    std::printf("  %-24s %14ld  (%s)\n", "total", p.total, human(p.total).c_str());
    std::printf("  %-24s %14ld  (%s, Kaplan's N)\n", "non-embedding", p.non_embedding,
                human(p.non_embedding).c_str());
    std::printf("\ntraining FLOPs (forward + backward), %g tokens per step\n", tokens_per_step);
    std::printf("  %-24s %14s %14s %10s\n", "convention", "per token", "per step", "vs 6N");
    for (auto& f : flops)
      std::printf("  %-24s %14s %14s %10.3f\n", f.label.c_str(), sci(f.per_token).c_str(),
                  sci(f.per_token * tokens_per_step).c_str(), f.per_token / flops[0].per_token);
  });
}

}  // namespace scalelab::cli
