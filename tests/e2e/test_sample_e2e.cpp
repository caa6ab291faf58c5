// scalelab sample, and the exported tokenizer as transformers loads it: greedy sampling is
// deterministic and equals transformers' greedy decode (model.generate and
// pipeline("text-generation")) of the exported folder, for the byte and the BPE tokenizer; the
// exported tokenizers encode text to our ids; prompts the tokenizer cannot encode are refused.
// Python work is in tests/support/hf_pipeline.py.
#include <gtest/gtest.h>

#include "data/tokenizer.h"
#include "tests/support/run.h"
#include "tests/support/data_util.h"
#include "tests/support/datasets.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

constexpr int kNewTokens = 24;
const char* const kPrompt = "the lord shall";
// Texts whose ids both tokenizers must agree on: spaces, newlines, tabs, non-ASCII.
const std::vector<std::string> kTexts = {"the lord shall", " leading space", "a\n\nb  \tc",
                                         "unto thee, é ☃"};

// Trains configs/debug.yaml (context 64) on `dataset` for 150 steps: enough that greedy decoding
// is not one repeated byte, so a wrong tokenizer or a wrong order shows.
std::string train_run(const fs::path& run, const std::string& dataset, int64_t vocab) {
  std::string out;
  const std::string cmd = std::string("train ") + SCALELAB_SOURCE_DIR +
                          "/configs/debug.yaml --set data.path=" + dataset +
                          " --set model.vocab_size=" + std::to_string(vocab) +
                          " --set model.block_size=64 --set train.steps=150 --set log.every=50 "
                          "--set eval.every=150 --out " +
                          run.string();
  if (run_cli(cmd, &out) != 0) return "train failed: " + out;
  return "";
}

nlohmann::json sample_json(const fs::path& run, const std::string& args) {
  std::string out;
  const int rc = run_cli("sample " + run.string() + " --json " + args + " 2>/dev/null", &out);
  EXPECT_EQ(rc, 0) << out;
  return nlohmann::json::parse(out);
}

class Sample : public ::testing::Test {
 protected:
  struct Case {
    fs::path dataset, run, hf;
  };

  static void SetUpTestSuite() {
    dir_ = temp_dir("sample");
    // sentencepiece and protobuf: transformers' conversion of the SentencePiece model needs them.
    setup_error_ =
        ensure_python_packages("transformers, safetensors, sentencepiece, google.protobuf",
                               "transformers safetensors sentencepiece protobuf");
    if (!setup_error_.empty()) return;
    const std::string byte_dataset = make_dataset(dir_ / "byte", 32, 300);
    data::PrepareOptions bpe;
    bpe.inputs = {(dir_ / "byte" / "docs").string()};
    bpe.out_dir = (dir_ / "bpe" / "dataset").string();
    bpe.tokenizer = "bpe";
    bpe.vocab_size = 320;
    bpe.val_fraction = 0.1;
    bpe.n_threads = 1;
    const int64_t bpe_vocab = data::prepare(bpe).manifest.vocab_size;
    cases_["byte"] = {byte_dataset, dir_ / "runs/byte", dir_ / "hf/byte"};
    cases_["bpe"] = {bpe.out_dir, dir_ / "runs/bpe", dir_ / "hf/bpe"};
    for (auto& [name, c] : cases_) {
      setup_error_ += train_run(c.run, c.dataset.string(), name == "byte" ? 257 : bpe_vocab);
      std::string out;
      if (run_cli("export --hf " + c.run.string() + " " + c.hf.string(), &out) != 0)
        setup_error_ += "export of " + name + " failed: " + out;
    }
    if (!setup_error_.empty()) return;

    nlohmann::json cases = nlohmann::json::array();
    for (const auto& name : {"byte", "bpe"})
      cases.push_back({{"model_dir", cases_[name].hf.string()},
                       {"prompt", kPrompt},
                       {"max_new_tokens", kNewTokens},
                       {"texts", kTexts}});
    std::ofstream(dir_ / "cases.json") << nlohmann::json({{"cases", cases}}).dump();
    std::string out;
    if (shell(std::string(SCALELAB_PYTHON) + " " + SCALELAB_SOURCE_DIR +
                  "/tests/support/hf_pipeline.py --cases " + (dir_ / "cases.json").string() +
                  " --out " + (dir_ / "result.json").string(),
              &out) != 0) {
      setup_error_ = "tests/support/hf_pipeline.py failed: " + out;
      return;
    }
    const auto result = read_json(dir_ / "result.json");
    hf_["byte"] = result["cases"][0];
    hf_["bpe"] = result["cases"][1];
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }

  void expect_greedy_equals_transformers(const std::string& name) {
    const auto ours = sample_json(cases_[name].run, std::string("--temperature 0 --tokens ") +
                                                        std::to_string(kNewTokens) + " --prompt '" +
                                                        kPrompt + "'");
    const auto& theirs = hf_[name];
    std::printf("[sample] %s: %s -> \"%s\" (%s)\n", name.c_str(), kPrompt,
                ours["text"].get<std::string>().c_str(),
                theirs["tokenizer_class"].get<std::string>().c_str());
    // The prompt: the end-of-document token first (the tokenizer's bos), then the same ids.
    EXPECT_EQ(theirs["prompt_ids"], ours["prompt_ids"]) << name;
    EXPECT_EQ(theirs["generated_ids"], ours["ids"]) << name;
    EXPECT_EQ(theirs["pipeline_text"], ours["text"]) << name;
  }
  void expect_tokenizer_matches(const std::string& name) {
    const auto manifest = data::read_manifest(cases_[name].dataset.string());
    const auto tokenizer = data::load_tokenizer(
        manifest.tokenizer, manifest.tokenizer_model.empty()
                                ? ""
                                : (cases_[name].dataset / "tokenizer.model").string());
    EXPECT_EQ(hf_[name]["bos_token_id"].get<int64_t>(), manifest.eot_token) << name;
    for (size_t i = 0; i < kTexts.size(); ++i) {
      std::vector<uint32_t> ids;
      tokenizer->encode(kTexts[i], ids);
      EXPECT_EQ(hf_[name]["encoded"][i].get<std::vector<uint32_t>>(), ids)
          << name << ": " << kTexts[i];
      EXPECT_EQ(hf_[name]["decoded"][i].get<std::string>(), kTexts[i]) << name;
    }
  }

  static inline fs::path dir_;
  static inline std::string setup_error_;
  static inline std::map<std::string, Case> cases_;
  static inline std::map<std::string, nlohmann::json> hf_;
};

// One test, because its set-up (two trainings, two exports, one Python run) is the slow part and
// ctest runs each test in a process of its own.
TEST_F(Sample, GreedyIsDeterministicAndEqualsTransformersForByteAndBpe) {
  const auto& run = cases_["byte"].run;
  const auto a = sample_json(run, "--temperature 0 --tokens 30");
  EXPECT_EQ(a["ids"], sample_json(run, "--temperature 0 --tokens 30")["ids"]);
  EXPECT_EQ(a["prompt_ids"], nlohmann::json({256}));  // no prompt: a new document
  const auto s1 = sample_json(run, "--temperature 1 --top-k 20 --seed 1 --tokens 30");
  EXPECT_EQ(s1["ids"], sample_json(run, "--temperature 1 --top-k 20 --seed 1 --tokens 30")["ids"]);
  EXPECT_NE(s1["ids"], sample_json(run, "--temperature 1 --top-k 20 --seed 2 --tokens 30")["ids"]);
  EXPECT_NE(s1["ids"], a["ids"]);
  for (const auto& name : {"byte", "bpe"}) {
    expect_greedy_equals_transformers(name);
    expect_tokenizer_matches(name);
  }
}

TEST(SamplePrompt, CharacterTheTokenizerCannotEncodeIsRefusedByName) {
  // A SentencePiece model without byte fallback (Debian's spm_train) has no id for a snowman.
  const fs::path dir = temp_dir("sample_prompt");
  make_dataset(dir, 16, 200);
  data::testing::write_file((dir / "train.txt").string(), synthetic_text(40, 200, 3));
  std::string out;
  ASSERT_EQ(shell("spm_train --input=" + (dir / "train.txt").string() +
                      " --model_prefix=" + (dir / "sp").string() +
                      " --vocab_size=60 --model_type=bpe --byte_fallback=false "
                      "--character_coverage=1.0 --bos_id=-1 --eos_id=1 --unk_id=0",
                  &out),
            0)
      << out;
  data::PrepareOptions o;
  o.inputs = {(dir / "docs").string()};
  o.out_dir = (dir / "sp_dataset").string();
  o.tokenizer = (dir / "sp.model").string();
  o.val_fraction = 0.1;
  o.n_threads = 1;
  const int64_t vocab = data::prepare(o).manifest.vocab_size;
  ASSERT_EQ(run_cli("train " + std::string(SCALELAB_SOURCE_DIR) +
                        "/configs/debug.yaml --set train.steps=2 --set data.path=" + o.out_dir +
                        " --set model.vocab_size=" + std::to_string(vocab) + " --out " +
                        (dir / "run").string(),
                    &out),
            0)
      << out;
  EXPECT_NE(run_cli("sample " + (dir / "run").string() + " --prompt 'the ☃ lord'", &out), 0);
  EXPECT_NE(out.find("cannot encode '☃'"), std::string::npos) << out;
  EXPECT_EQ(out.find("Exception"), std::string::npos) << out;
  EXPECT_EQ(run_cli("sample " + (dir / "run").string() + " --prompt 'the lord' --tokens 3", &out),
            0)
      << out;
  fs::remove_all(dir);
}

}  // namespace
