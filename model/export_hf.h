// Export to the Hugging Face Llama format (transformers' LlamaForCausalLM): config.json and
// model.safetensors. Our module names already follow Llama's, and rotary uses Llama's half-split
// ("rotate_half") convention, so q_proj and k_proj need no permutation;
// tests/e2e/test_export_e2e.cpp proves it by comparing logits with transformers'. Options Llama
// cannot express are refused.
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/gpt.h"

namespace scalelab {

// Throws ConfigError naming the first model option that LlamaForCausalLM cannot express
// (model.norm: layernorm, model.mlp: gelu, model.pos: learned | alibi).
void check_llama_compatible(const ModelConfig& model);

// config.json for LlamaForCausalLM. vocab_size is the padded row count (padded_vocab()), so the
// weights keep their shapes. eot_token, when known from the dataset, becomes bos and eos: prepare
// writes it before each document, as GPT-2 does.
nlohmann::json llama_config_json(const ModelConfig& model, std::optional<int64_t> eot_token);

// generation_config.json: bos, eos and pad are the end-of-document token; padding rows of the
// output layer are suppressed; max_length is the context.
nlohmann::json generation_config_json(const ModelConfig& model, int64_t eot_token);

// The model's weights under Llama's tensor names ("model.layers.0.self_attn.q_proj.weight", ...;
// "lm_head.weight" only when untied), as contiguous fp32 CPU tensors in Llama's layer order.
// Throws if a parameter is left over or has a shape Llama does not expect.
std::vector<std::pair<std::string, torch::Tensor>> llama_tensors(GPT& model);

// Writes out_dir/config.json, out_dir/model.safetensors and, when eot_token is known,
// out_dir/generation_config.json (out_dir must exist).
void write_llama(GPT& model, const std::string& out_dir, std::optional<int64_t> eot_token);

}  // namespace scalelab
