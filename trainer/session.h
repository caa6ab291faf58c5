// Everything one training session holds: the resolved budget and batch layout, the data, the
// device, the model, the optimizer and the progress, set up in the order that makes a resumed run
// continue bit for bit (seed before the model is built; checkpoint loaded after the optimizer).
#pragma once

#include <memory>
#include <string>

#include "core/budget.h"
#include "data/loader.h"
#include "model/gpt.h"
#include "trainer/checkpoint.h"
#include "trainer/device.h"
#include "trainer/fused_adamw.h"
#include "runfolder/folder.h"
#include "trainer/train.h"

namespace scalelab {

struct TrainSession {
  // Checks the config for this world size, opens the data, claims the run folder (rank 0), builds
  // the model and the optimizer and restores a checkpoint (--resume) or weights (--init-from).
  TrainSession(const Config& config, const TrainOptions& options);

  bool rank0() const { return options.rank == 0; }
  // Loads the newest checkpoint that reads, warning about each damaged newer one; its path.
  std::string resume_from_newest_intact(const std::string& run_dir);
  // Continues a trunk's checkpoint in this new run folder (options.branch_from).
  void branch_from_trunk(const std::string& checkpoint);
  int64_t block_size() const { return config.model.block_size; }

  // The config with data.path made absolute (what config.yaml and summary.json record).
  const Config config;
  const TrainOptions& options;
  const std::string config_yaml;
  const BatchLayout layout;
  const int64_t total_steps;
  data::TrainLoader loader;
  data::ValLoader val_loader;
  const DeviceChoice dev;
  TrainFolderLock folder_lock;  // rank 0: no second process writes this run folder meanwhile
  GPT model;
  FusedAdamW optimizer;
  TrainState state;
};

// A TrainSession; when it cannot start (a bad --init-from, a model that does not fit, ...), a run
// folder it created is removed again, so a failed start leaves nothing behind.
std::unique_ptr<TrainSession> open_session(const Config& config, const TrainOptions& options);

// (rows, T + 1) int64 token rows on the device, from a host buffer of loader output.
torch::Tensor rows_to_device(std::vector<int64_t>& buffer, int64_t n_rows, int64_t width,
                             const torch::Device& device);

}  // namespace scalelab
