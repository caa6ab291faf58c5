// What a run folder records of its dataset (dataset.json, tokenizer.model): written and read back,
// a resumed run's dataset checked against it, and where sample and export find a run's tokenizer
// (issue 27: run folders that stand alone).
#include <gtest/gtest.h>

#include <filesystem>

#include "data/run_dataset.h"
#include "data/tokenizer.h"
#include "tests/support/data_util.h"

namespace scalelab::data {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::make_corpus;
using testing::prepare_options;
using testing::read_file;
using testing::TempDir;

// The current directory for one scope.
class InDirectory {
 public:
  explicit InDirectory(const std::string& dir) : old_(fs::current_path()) { fs::current_path(dir); }
  ~InDirectory() { fs::current_path(old_); }

 private:
  fs::path old_;
};

class RunDataset : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    make_corpus(*dir_ / "in", 20);
    prepare(prepare_options(*dir_ / "in", *dir_ / "byte", "byte"));
    prepare(prepare_options(*dir_ / "in", *dir_ / "bpe", "bpe"));
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
};
TempDir* RunDataset::dir_ = nullptr;

TEST_F(RunDataset, RecordHoldsTheTokenizerAndReadsBack) {
  TempDir run;
  EXPECT_FALSE(read_dataset_record(run.path()));  // a run trained before records existed
  const DatasetRecord bpe = describe_dataset(*dir_ / "bpe");
  EXPECT_TRUE(fs::path(bpe.path).is_absolute());
  record_dataset(run.path(), bpe);
  EXPECT_EQ(read_file(run / "tokenizer.model"), read_file(*dir_ / "bpe/tokenizer.model"));
  const auto back = read_dataset_record(run.path());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->path, bpe.path);
  EXPECT_EQ(back->tokenizer_dir, run.path());  // the copy, not the dataset's model
  EXPECT_EQ(back->manifest.tokenizer, "bpe");
  EXPECT_EQ(back->manifest.vocab_size, bpe.manifest.vocab_size);
  EXPECT_EQ(back->manifest.eot_token, 1);
  EXPECT_EQ(back->tokenizer_model_sha256, bpe.tokenizer_model_sha256);
  EXPECT_EQ(back->manifest_sha256, file_sha256(*dir_ / "bpe/manifest.json"));
  // The copy tokenizes as the dataset's model does, with the dataset gone.
  const auto tokenizer = load_tokenizer("bpe", run / "tokenizer.model");
  std::vector<uint32_t> ids;
  tokenizer->encode("the light and darkness", ids);
  EXPECT_EQ(tokenizer->decode(ids), "the light and darkness");
  EXPECT_NO_THROW(check_same_tokenizer(*back, describe_dataset(*dir_ / "bpe"), run.path()));
  // A dataset made with another tokenizer is refused, naming both.
  expect_error([&] { check_same_tokenizer(*back, describe_dataset(*dir_ / "byte"), run.path()); },
               {"data.path " + *dir_ / "byte", "byte, vocab 257", "bpe, vocab 400", run.path()});
  testing::write_file(run / "dataset.json", "{\"path\": 3");
  expect_error([&] { read_dataset_record(run.path()); }, {run / "dataset.json", "damaged"});
}

TEST_F(RunDataset, SampleAndExportFindTheTokenizerFromAnyDirectory) {
  TempDir run, elsewhere;
  // A run without a record, trained with a relative data.path: found from its directory only.
  {
    InDirectory here(dir_->path());
    EXPECT_EQ(run_tokenizer_source(run.path(), "byte").path, *dir_ / "byte");
  }
  {
    InDirectory there(elsewhere.path());
    expect_error([&] { run_tokenizer_source(run.path(), "byte"); },
                 {"run folder " + run.path(), "no dataset.json", "data.path byte",
                  "relative to the directory train ran in", "--dataset DIR"});
    // --dataset names it; a --dataset that is no dataset is one line.
    EXPECT_EQ(run_tokenizer_source(run.path(), "byte", *dir_ / "bpe").manifest.tokenizer, "bpe");
    expect_error([&] { run_tokenizer_source(run.path(), "byte", "nowhere"); },
                 {"--dataset nowhere", "no manifest.json"});
    // With a record, the dataset is not needed at all.
    record_dataset(run.path(), describe_dataset(*dir_ / "bpe"));
    const DatasetRecord found = run_tokenizer_source(run.path(), "gone/away");
    EXPECT_EQ(found.manifest.tokenizer, "bpe");
    EXPECT_EQ(found.tokenizer_dir, run.path());
  }
}

}  // namespace
}  // namespace scalelab::data
