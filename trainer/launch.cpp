// Joining the data-parallel group that a launcher describes, for every caller of the trainer.
#include "common/log.h"
#include "trainer/distributed.h"
#include "trainer/train.h"

namespace scalelab {

RunSummary train_launched(Config config, TrainOptions options, double dist_timeout_s) {
  const auto env = read_launch_env();
  if (!env) return train(config, options);
  if (env->rank != 0) log::set_quiet(true);  // one voice; warnings and errors still show
  const std::string device = rank_device(config.train.device, *env);
  if (device != "cpu") config.train.device = device;  // each rank of a node on its own GPU
  DataParallelOptions dp;
  dp.timeout = std::chrono::milliseconds(std::llround(dist_timeout_s * 1000));
  DataParallel group(*env, device, dp);
  options.rank = env->rank;
  options.world_size = env->world_size;
  options.sync = &group;
  try {
    return train(config, options);
  } catch (const std::exception& e) {
    throw std::runtime_error(group.describe(e));  // which rank, and why a collective failed
  }
}

}  // namespace scalelab
