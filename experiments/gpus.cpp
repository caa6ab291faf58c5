#include "experiments/gpus.h"

#include <cstdio>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string>

namespace scalelab::sweep {

int count_cuda_devices() {
  int listed = 0;
  if (FILE* p = popen("nvidia-smi -L 2>/dev/null", "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, p))
      if (std::string(line).rfind("GPU ", 0) == 0) ++listed;
    pclose(p);
  }
  if (listed > 0) return listed;
  int files = 0;
  std::error_code ec;
  const std::regex device("nvidia[0-9]+");
  for (const auto& e : std::filesystem::directory_iterator("/dev", ec))
    if (std::regex_match(e.path().filename().string(), device)) ++files;
  return files;
}

void require_gpus(const std::vector<int>& gpus) {
  if (gpus.empty()) return;
  const int n = count_cuda_devices();
  std::string list;
  for (int g : gpus) list += (list.empty() ? "" : ",") + std::to_string(g);
  if (n == 0)
    throw std::runtime_error("--gpus " + list +
                             ": this machine has no CUDA device (nvidia-smi lists none); drop "
                             "--gpus to train on the CPU with --jobs");
  for (int g : gpus)
    if (g >= n)
      throw std::runtime_error("--gpus " + list + ": GPU " + std::to_string(g) +
                               " does not exist (this machine has " + std::to_string(n) +
                               ", ids 0 to " + std::to_string(n - 1) + ")");
}

}  // namespace scalelab::sweep
