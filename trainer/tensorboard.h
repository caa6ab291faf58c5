// TensorBoard event files beside metrics.jsonl (log.tensorboard: true), written by the
// `tensorboard` Python package (PyPI) in a child process that reads metrics lines on a pipe: the
// event format is TensorBoard's, so its own writer writes it. metrics.jsonl stays the record the
// analysis reads; if the child stops (a full disk), training goes on with one warning that says
// why.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace scalelab {

class TensorBoardWriter {
 public:
  // Starts the writer on run_dir/tensorboard/by_step and .../by_tokens (two TensorBoard runs:
  // the same scalars against the step and against the tokens trained). For a resumed run,
  // purge_step and purge_tokens (> 0) make TensorBoard drop what an earlier session logged after
  // the checkpoint, as metrics.jsonl is cut back. Throws, saying what to install, when the Python
  // package is missing.
  TensorBoardWriter(const std::string& run_dir, int64_t purge_step, int64_t purge_tokens);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // One metrics.jsonl line (train or eval): its scalars against step and against tokens.
  void write(const nlohmann::json& line);

 private:
  void close();         // waits for the writer; warns once, with its reason, when it failed
  void drain_errors();  // reads what the writer printed on stderr so far (never blocks)
  int pipe_fd_ = -1;    // its stdin: metrics lines
  int error_fd_ = -1;   // its stderr
  std::string errors_;  // the last 4 KB of it
  pid_t child_ = -1;
};

// The Python interpreter that has the tensorboard package: $SCALELAB_PYTHON, else the venv the
// build used.
std::string tensorboard_python();

}  // namespace scalelab
