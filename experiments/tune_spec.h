// `scalelab tune FILE`: a tune file is a sweep file (base, set, grid/zip of model sizes, derive,
// tags, ...) with a `tune:` block naming the learning rates (and optionally batch sizes and beta2)
// to try at every size. It expands into an ordinary sweep file, so the tune grid runs through the
// sweep runner (idempotent, resumable, --jobs, --gpus, --slurm). Format: experiments/README.md.
#pragma once

#include <string>
#include <vector>

namespace scalelab::sweep {

struct TuneSpec {
  std::string sweep_yaml;      // the expanded sweep file (base: made absolute)
  std::string out_root;        // the file's out_root ("" = none given)
  std::string params_counted;  // total | non_embedding: the N of the laws (and of the warmup)
  double warmup_tokens_per_param = 1;  // 0 = the base config's own warmup
  std::vector<double> lr, batch_size, beta2;
};

// The tags `scalelab tune` puts on every run; the analysis reads them back.
inline constexpr const char* kTuneLrTag = "tune_lr";
inline constexpr const char* kTuneBatchTag = "tune_batch_size";
inline constexpr const char* kTuneBlockTag = "tune_block_size";
inline constexpr const char* kTuneBeta2Tag = "tune_beta2";

// Throws one line naming the file and key: no tune: block, fewer than 3 learning rates, a value
// out of range, an axis the sweep's own grid already varies.
TuneSpec parse_tune(const std::string& yaml_text, const std::string& origin,
                    const std::string& dir);
TuneSpec load_tune(const std::string& path);

}  // namespace scalelab::sweep
