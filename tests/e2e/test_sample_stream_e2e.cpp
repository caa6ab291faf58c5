// `scalelab sample` as issue 26 found it: a bad --top-k or --tokens is one line naming the option
// and its range (not CLI11's 309-digit bound); text is printed as it is made, and SIGINT or
// SIGTERM stops it there, keeping every token printed (the same text a shorter greedy sample
// gives), with exit 130 / 143.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>

#include "tests/support/datasets.h"

using namespace scalelab;
using namespace scalelab::test_util;

namespace {

class SampleStream : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = temp_dir("sample_stream");
    std::string out;
    const int rc = run_cli(std::string("train ") + SCALELAB_SOURCE_DIR +
                               "/configs/debug.yaml --set data.path=" + shared_dataset() +
                               " --set train.steps=200 --set log.every=50 --out " + run().string(),
                           &out);
    if (rc != 0) setup_error_ = "train failed: " + out;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << setup_error_; }
  static fs::path run() { return dir_ / "run"; }

  // Greedy text of `tokens` tokens: the bytes of the ids --json reports (the byte tokenizer's ids
  // are bytes; its "text" would replace bytes that are not UTF-8).
  static std::string greedy_text(int64_t tokens) {
    std::string out;
    EXPECT_EQ(run_cli("sample " + run().string() + " --temperature 0 --json --tokens " +
                          std::to_string(tokens),
                      &out),
              0)
        << out;
    const auto result = nlohmann::json::parse(out);
    std::string text;
    for (const auto& id : result["ids"])
      if (id.get<int>() < 256) text += static_cast<char>(id.get<int>());
    return text;
  }

  // Starts a long greedy sample, waits until it has printed some text, sends `signal`, and
  // checks that it stops within seconds with 128 + signal, keeping exactly the text it made.
  void expect_stop_keeps_the_text(int signal_number) {
    const fs::path out = dir_ / ("out_" + std::to_string(signal_number)),
                   err = dir_ / ("err_" + std::to_string(signal_number));
    const pid_t pid = start_cli(
        {"sample", run().string(), "--temperature", "0", "--tokens", "100000000"}, out, err);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (slurp(out).size() < 40 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_GE(slurp(out).size(), 40u) << "no text streamed within 60 s: " << slurp(err);
    kill(pid, signal_number);
    EXPECT_EQ(wait_exit_within(pid, std::chrono::seconds(10)), 128 + signal_number) << slurp(err);
    const std::string printed = slurp(out), log = slurp(err);
    std::smatch n_tokens;
    ASSERT_TRUE(std::regex_search(log, n_tokens, std::regex("stopped after (\\d+) token"))) << log;
    EXPECT_NE(log.find("scalelab: " + signal_name_of(signal_number)), std::string::npos) << log;
    EXPECT_EQ(log.find("error"), std::string::npos) << log;
    // Nothing lost: the text printed is the greedy text of that many tokens, then a newline.
    ASSERT_FALSE(printed.empty());
    EXPECT_EQ(printed.back(), '\n');
    EXPECT_EQ(printed.substr(0, printed.size() - 1), greedy_text(std::stoll(n_tokens[1])));
  }
  static std::string signal_name_of(int s) { return s == SIGINT ? "SIGINT" : "SIGTERM"; }

  static inline fs::path dir_;
  static inline std::string setup_error_;
};

TEST_F(SampleStream, BadTopKOrTokensIsOneLineNamingTheRange) {
  for (const auto& [args, expected] :
       {std::pair<std::string, std::string>{"--top-k -1",
                                            "--top-k: '-1' is not a whole number >= 0 (0: every "
                                            "token)"},
        {"--tokens 0", "--tokens: '0' is not a whole number >= 1"},
        {"--tokens 2.5", "--tokens: '2.5' is not a whole number >= 1"}}) {
    std::string out;
    EXPECT_EQ(run_cli("sample " + run().string() + " " + args, &out), 105) << out;  // CLI11's code
    EXPECT_EQ(out, "scalelab: error: " + expected + " (see --help)\n") << args;
  }
}

// Streamed text is the text --json decodes at once.
TEST_F(SampleStream, StreamedTextEqualsTheWholeDecoding) {
  std::string out;
  // stdout alone (shell() folds stderr into it after the command's own redirections).
  ASSERT_EQ(shell("{ " + scalelab_binary() + " sample " + run().string() +
                      " --temperature 0 --tokens 80 2>/dev/null; }",
                  &out),
            0);
  EXPECT_EQ(out, greedy_text(80) + "\n");
}

TEST_F(SampleStream, SigtermStopsAndKeepsTheText) {
  expect_stop_keeps_the_text(SIGTERM);
}

TEST_F(SampleStream, SigintStopsAndKeepsTheText) {
  expect_stop_keeps_the_text(SIGINT);
}

}  // namespace
