#include "model/export_hf.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "model/parameterization.h"
#include "model/safetensors.h"
#include "common/checked_io.h"

namespace scalelab {
namespace fs = std::filesystem;

void check_llama_compatible(const ModelConfig& m) {
  auto refuse = [](const std::string& option, const std::string& why) {
    throw ConfigError(option + " cannot be exported to the Hugging Face Llama format: " + why);
  };
  if (m.norm != Norm::rmsnorm)
    refuse("model.norm: " + to_string(m.norm), "LlamaForCausalLM has RMSNorm only");
  if (m.mlp != Mlp::swiglu)
    refuse("model.mlp: " + to_string(m.mlp), "LlamaForCausalLM's MLP is SwiGLU (gate, up, down)");
  if (m.pos != PosEncoding::rope)
    refuse("model.pos: " + to_string(m.pos), "LlamaForCausalLM encodes positions with rotary only");
}

nlohmann::json llama_config_json(const ModelConfig& m, std::optional<int64_t> eot_token) {
  check_llama_compatible(m);
  nlohmann::json eot = eot_token ? nlohmann::json(*eot_token) : nlohmann::json(nullptr);
  return {
      {"architectures", {"LlamaForCausalLM"}},
      {"model_type", "llama"},
      {"vocab_size", m.padded_vocab()},  // the embedding's rows, padding included
      {"hidden_size", m.n_embd},
      {"intermediate_size", m.ffn_dim()},
      {"num_hidden_layers", m.n_layer},
      {"num_attention_heads", m.n_head},
      {"num_key_value_heads", m.kv_heads()},
      {"head_dim", m.head_dim()},
      {"hidden_act", "silu"},
      {"max_position_embeddings", m.block_size},
      {"rms_norm_eps", m.norm_eps},
      // transformers < 5 reads rope_theta; 5 reads rope_parameters (and folds rope_theta into it).
      {"rope_theta", m.rope_theta},
      {"rope_parameters", {{"rope_type", "default"}, {"rope_theta", m.rope_theta}}},
      {"tie_word_embeddings", m.tie_embeddings},
      {"attention_bias", false},
      {"attention_dropout", 0.0},
      {"mlp_bias", false},
      {"initializer_range", m.init_std},
      {"use_cache", true},
      {"bos_token_id", eot},
      {"eos_token_id", eot},
      {"torch_dtype", "float32"},
  };
}

nlohmann::json generation_config_json(const ModelConfig& m, int64_t eot_token) {
  // Rows past the tokenizer's ids are padding (pad_vocab_multiple): never generated, as in
  // `scalelab sample`.
  std::vector<int64_t> padding;
  for (int64_t id = m.vocab_size; id < m.padded_vocab(); ++id) padding.push_back(id);
  nlohmann::json config = {{"bos_token_id", eot_token},
                           {"eos_token_id", eot_token},
                           {"pad_token_id", eot_token},
                           {"max_length", m.block_size}};
  if (!padding.empty()) config["suppress_tokens"] = padding;
  return config;
}

std::vector<std::pair<std::string, torch::Tensor>> llama_tensors(GPT& model) {
  const ModelConfig& m = model->config();
  check_llama_compatible(m);
  std::map<std::string, torch::Tensor> ours;
  for (const auto& item : model->named_parameters()) ours[item.key()] = item.value();

  const int64_t C = m.n_embd, hd = m.head_dim(), I = m.ffn_dim();
  std::vector<std::pair<std::string, torch::Tensor>> out;
  // Llama's name is "model." + ours, except lm_head; Linear weights are (out, in) in both.
  // muP/CompleteP multipliers fold into the weights they multiply, each product exact in
  // Llama's forward: the query scale into q_proj (rotary embeddings are linear), the branch scale
  // into each branch's last projection, the logit scale into the final norm's weight (the LM head
  // reads the norm's output, tied or not). Under standard all are 1 and the weights leave as they
  // are.
  const ForwardMultipliers f = forward_multipliers(m);
  auto take = [&](const std::string& name, std::vector<int64_t> shape, double multiplier = 1.0) {
    auto it = ours.find(name);
    if (it == ours.end()) throw std::runtime_error("export: the model has no parameter " + name);
    if (it->second.sizes() != c10::IntArrayRef(shape))
      throw std::runtime_error("export: " + name + " has shape " + c10::str(it->second.sizes()) +
                               ", Llama expects " + c10::str(shape));
    const std::string hf = name == "lm_head.weight" ? name : "model." + name;
    auto t = it->second.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    if (multiplier != 1.0) t = t * multiplier;
    out.emplace_back(hf, t);
    ours.erase(it);
  };
  take("embed_tokens.weight", {m.padded_vocab(), C});
  for (int64_t i = 0; i < m.n_layer; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    take(p + "input_layernorm.weight", {C});
    take(p + "self_attn.q_proj.weight", {m.n_head * hd, C}, f.query_scale);
    take(p + "self_attn.k_proj.weight", {m.kv_heads() * hd, C});
    take(p + "self_attn.v_proj.weight", {m.kv_heads() * hd, C});
    take(p + "self_attn.o_proj.weight", {C, m.n_head * hd}, f.branch_scale);
    take(p + "post_attention_layernorm.weight", {C});
    take(p + "mlp.gate_proj.weight", {I, C});
    take(p + "mlp.up_proj.weight", {I, C});
    take(p + "mlp.down_proj.weight", {C, I}, f.branch_scale);
  }
  take("norm.weight", {C}, f.logit_scale);
  if (!m.tie_embeddings) take("lm_head.weight", {m.padded_vocab(), C});
  // A parameter Llama has no place for would be dropped silently; refuse instead.
  if (!ours.empty())
    throw std::runtime_error("export: parameter " + ours.begin()->first +
                             " has no counterpart in the Llama format");
  return out;
}

void write_llama(GPT& model, const std::string& out_dir, std::optional<int64_t> eot_token) {
  const nlohmann::json config = llama_config_json(model->config(), eot_token);
  const auto tensors = llama_tensors(model);
  std::vector<SafetensorsEntry> entries;
  for (const auto& [name, t] : tensors)
    entries.push_back({name, "F32", t.sizes().vec(), t.data_ptr(), t.numel() * sizeof(float)});
  // format "pt" is what save_pretrained writes; transformers 4.x refuses other formats.
  write_safetensors((fs::path(out_dir) / "model.safetensors").string(), entries,
                    {{"format", "pt"}});
  write_file_atomic((fs::path(out_dir) / "config.json").string(), config.dump(2) + "\n");
  if (eot_token)
    write_file_atomic((fs::path(out_dir) / "generation_config.json").string(),
                      generation_config_json(model->config(), *eot_token).dump(2) + "\n");
}

}  // namespace scalelab
