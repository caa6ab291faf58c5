// configs/: YAML -> typed structs, errors that name the key path, --set, presets.
#include <gtest/gtest.h>

#include <filesystem>

#include "configs/config.h"

using namespace scalelab;

namespace {
std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_config(yaml, "test.yaml", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Configs, EmptyDocumentGivesDefaults) {
  Config c = parse_config("", "empty.yaml");
  EXPECT_EQ(c.model.n_layer, ModelConfig{}.n_layer);
  EXPECT_EQ(c.schedule.kind, Schedule::cosine);
}

TEST(Configs, ReadsEveryKindOfField) {
  Config c = parse_config(
      "model: {n_layer: 3, n_embd: 48, n_head: 6, n_kv_head: 2, norm: layernorm, tie_embeddings: "
      "false}\n"
      "train: {tokens: 1e6, flop_convention: chinchilla}\n"
      "data: {path: /tmp/x}\n",
      "t.yaml");
  EXPECT_EQ(c.model.n_layer, 3);
  EXPECT_EQ(c.model.kv_heads(), 2);
  EXPECT_EQ(c.model.norm, Norm::layernorm);
  EXPECT_FALSE(c.model.tie_embeddings);
  EXPECT_DOUBLE_EQ(c.train.tokens, 1e6);
  EXPECT_EQ(c.train.flop_convention, FlopConvention::chinchilla);
  EXPECT_EQ(c.data.path, "/tmp/x");
}

TEST(Configs, UnknownKeyNamesItsPath) {
  auto e = error_of("model:\n  n_layers: 3\n");
  EXPECT_NE(e.find("unknown key 'model.n_layers'"), std::string::npos) << e;
  EXPECT_NE(e.find("test.yaml:2"), std::string::npos) << e;
  EXPECT_NE(error_of("modle: {}\n").find("unknown key 'modle'"), std::string::npos);
}

TEST(Configs, WrongTypesAreNamed) {
  EXPECT_NE(error_of("model: {n_layer: two}").find("model.n_layer: expected an integer, got 'two'"),
            std::string::npos);
  EXPECT_NE(error_of("model: {n_layer: 2.5}").find("model.n_layer: expected an integer"),
            std::string::npos);
  EXPECT_NE(error_of("optim: {lr: fast}").find("optim.lr: expected a number"), std::string::npos);
  EXPECT_NE(error_of("model: {norm: batchnorm}").find("expected one of rmsnorm | layernorm"),
            std::string::npos);
  EXPECT_NE(error_of("model: {tie_embeddings: maybe}").find("expected true or false"),
            std::string::npos);
  EXPECT_NE(error_of("model: [1, 2]").find("model: expected a map"), std::string::npos);
  EXPECT_NE(error_of("model: {n_layer: [1]}").find("model.n_layer: expected a single value"),
            std::string::npos);
}

TEST(Configs, CrossFieldRulesNameBothKeys) {
  auto e = error_of("model: {n_embd: 100, n_head: 3}");
  EXPECT_NE(e.find("model.n_embd: must be divisible by model.n_head"), std::string::npos) << e;
  e = error_of("model: {n_embd: 64, n_head: 4, n_kv_head: 3}");
  EXPECT_NE(e.find("model.n_head: must be divisible by model.n_kv_head"), std::string::npos) << e;
  EXPECT_NE(error_of("model: {n_layer: -1}").find("model.n_layer: must be positive"),
            std::string::npos);
  EXPECT_NE(error_of("train: {steps: 10, tokens: 100}").find("set only one of"), std::string::npos);
  EXPECT_NE(error_of("optim: {lr: 1e-3, min_lr: 1e-2}").find("optim.min_lr: must not exceed"),
            std::string::npos);
  EXPECT_NE(error_of("model: {n_embd: 6, n_head: 2}").find("even head dimension"),
            std::string::npos);
}

// model.parameterization (model/parameterization.h): each bad input is one line naming its key.
TEST(Configs, ParameterizationRulesNameTheKey) {
  auto e = error_of("model: {parameterization: mupp}");
  EXPECT_NE(e.find("model.parameterization: expected one of standard | mup | completep"),
            std::string::npos)
      << e;
  e = error_of("model: {parameterization: mup, n_embd: 32, base_width: 64}");
  EXPECT_NE(e.find("model.base_width: 64 exceeds model.n_embd 32"), std::string::npos) << e;
  e = error_of("model: {parameterization: completep, n_layer: 2, base_depth: 4}");
  EXPECT_NE(e.find("model.base_depth: 4 exceeds model.n_layer 2"), std::string::npos) << e;
  e = error_of("model: {parameterization: mup, pos: alibi}");
  EXPECT_NE(e.find("model.pos: alibi is not supported with model.parameterization mup"),
            std::string::npos)
      << e;
  e = error_of("model: {base_width: 16}");
  EXPECT_NE(e.find("model.base_width: is set, but model.parameterization is standard"),
            std::string::npos)
      << e;
  e = error_of("model: {parameterization: mup, n_layer: 4, base_depth: 2}");
  EXPECT_NE(e.find("model.base_depth: is a completep setting"), std::string::npos) << e;
  e = error_of("model: {parameterization: mup, init_std: 0}");
  EXPECT_NE(e.find("model.init_std: must be positive (got 0.000000; GPT-2's is 0.02)"),
            std::string::npos)
      << e;
  EXPECT_EQ(error_of("model: {parameterization: completep, n_embd: 64, base_width: 32, n_layer: "
                     "4, base_depth: 2}"),
            "");
  Config c = parse_config("", "t.yaml");
  EXPECT_EQ(c.model.parameterization, Parameterization::standard);
  EXPECT_EQ(parse_config(to_yaml(c), "t.yaml").model.parameterization, Parameterization::standard);
}

TEST(Configs, MalformedYamlNamesFileAndLine) {
  auto e = error_of("model:\n  n_layer: [1,\n");
  EXPECT_NE(e.find("test.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed YAML"), std::string::npos) << e;
}

// Issue 26: a file nested 5,000 deep read "malformed YAML: bad file" (yaml-cpp's depth guard).
TEST(Configs, YamlNestedTooDeepIsNamedAsSuch) {
  std::string maps;
  for (int i = 0; i < 5000; ++i) maps += "{a: ";
  maps += "1" + std::string(5000, '}');
  for (const std::string& deep :
       {"model:\n  n_layer: " + std::string(5000, '[') + std::string(5000, ']') + "\n", maps}) {
    const auto e = error_of(deep);
    EXPECT_EQ(e.rfind("test.yaml:", 0), 0u) << e;
    EXPECT_NE(e.find("malformed YAML: maps or lists nested"), std::string::npos) << e;
    EXPECT_NE(e.find("levels deep or more"), std::string::npos) << e;
    EXPECT_EQ(e.find("bad file"), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  std::string block;  // a block mapping 5,000 deep
  for (int i = 0; i < 5000; ++i) block += std::string(size_t(2 * i), ' ') + "k:\n";
  const auto e = error_of(block);
  EXPECT_EQ(e.find("bad file"), std::string::npos) << e;
  EXPECT_EQ(e.rfind("test.yaml:", 0), 0u) << e;
}

TEST(Configs, SetOverridesAnyField) {
  Config c =
      parse_config("model: {n_layer: 2}", "t.yaml",
                   {"model.n_layer=5", "optim.lr=2e-3", "schedule.kind=wsd", "data.path=a=b"});
  EXPECT_EQ(c.model.n_layer, 5);
  EXPECT_DOUBLE_EQ(c.optim.lr, 2e-3);
  EXPECT_EQ(c.schedule.kind, Schedule::wsd);
  EXPECT_EQ(c.data.path, "a=b");
  EXPECT_NE(error_of("", {"model.n_layerz=3"}).find("unknown key 'model.n_layerz'"),
            std::string::npos);
  EXPECT_NE(error_of("", {"model.n_layer"}).find("expected key.path=value"), std::string::npos);
  EXPECT_NE(
      error_of("model: {n_layer: 2}", {"model.n_layer.x=1"}).find("'n_layer' is not a section"),
      std::string::npos);
}

TEST(Configs, ResolvedYamlRoundTrips) {
  Config a = parse_config(
      "model: {n_layer: 3, rope_theta: 500000, norm_eps: 1e-6}\ntrain: {flops: 1.5e15}", "t.yaml");
  Config b = parse_config(to_yaml(a), "resolved.yaml");
  EXPECT_EQ(to_yaml(a), to_yaml(b));
  EXPECT_DOUBLE_EQ(b.model.norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(b.train.flops, 1.5e15);
}

TEST(Configs, MissingFileIsNamed) {
  try {
    load_config("/nonexistent/cfg.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/cfg.yaml"), std::string::npos);
  }
}

TEST(Configs, EveryPresetLoads) {
  int n = 0;
  for (auto& entry :
       std::filesystem::recursive_directory_iterator(SCALELAB_SOURCE_DIR "/configs")) {
    if (entry.path().extension() != ".yaml") continue;
    EXPECT_NO_THROW(load_config(entry.path().string())) << entry.path();
    ++n;
  }
  EXPECT_GE(n, 7);
}

TEST(Configs, DerivedSizes) {
  ModelConfig m;
  m.n_embd = 768;
  m.ffn_multiple_of = 256;
  EXPECT_EQ(m.ffn_dim(), 2048);  // Llama: 8/3 * 768 = 2048
  m.mlp = Mlp::gelu;
  EXPECT_EQ(m.ffn_dim(), 3072);
  m.vocab_size = 50257;
  m.pad_vocab_multiple = 64;
  EXPECT_EQ(m.padded_vocab(), 50304);
}
