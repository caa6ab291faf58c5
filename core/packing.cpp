#include "core/packing.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "configs/config_json.h"
#include "core/budget.h"
#include "core/counts.h"

namespace scalelab {

namespace {

// The settings a pack shares, flattened: "/model/n_embd" -> 32.
nlohmann::json shared_settings(const Config& c) {
  const nlohmann::json j = config_to_json(c);
  nlohmann::json shared = {{"model", j["model"]}};
  for (const char* key : {"batch_size", "micro_batch_size", "device", "precision", "threads"})
    shared["train"][key] = j["train"][key];
  return shared.flatten();
}

}  // namespace

std::optional<std::string> pack_difference(const Config& a, const Config& b) {
  const nlohmann::json fa = shared_settings(a), fb = shared_settings(b);
  for (auto it = fa.begin(); it != fa.end(); ++it) {
    if (fb.contains(it.key()) && fb[it.key()] == it.value()) continue;
    std::string key = it.key().substr(1);
    std::replace(key.begin(), key.end(), '/', '.');
    return key + ": " + it.value().dump() + " vs " +
           (fb.contains(it.key()) ? fb[it.key()].dump() : std::string("unset"));
  }
  return std::nullopt;
}

double packed_run_bytes(const Config& c) {
  const ModelConfig& m = c.model;
  const BatchLayout layout = batch_layout(c, 1);
  const double tokens = double(layout.micro_rows) * double(m.block_size);
  // Per token and layer: the norms' inputs and outputs, q/k/v, attention's output, the MLP's
  // inputs, hidden and gated activations (about 12 C + 4 F floats), the attention weights
  // (H T), plus the vocabulary's logits and their gradient once per token.
  const double per_layer =
      12.0 * double(m.n_embd) + 4.0 * double(m.ffn_dim()) + double(m.n_head * m.block_size);
  const double activations =
      4.0 * tokens * (double(m.n_layer) * per_layer + 2.0 * double(m.padded_vocab()));
  return training_state_bytes(m) + activations;
}

int64_t max_pack_size(const Config& config, double available_bytes, int64_t max_pack) {
  int64_t k = std::max<int64_t>(1, max_pack);
  if (available_bytes > 0)
    k = std::min<int64_t>(k, int64_t(std::floor(0.5 * available_bytes / packed_run_bytes(config))));
  return std::max<int64_t>(1, k);
}

double available_host_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  double kb = 0;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

}  // namespace scalelab
