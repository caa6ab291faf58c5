#include "analysis/inputs/fit_input.h"

#include <filesystem>
#include <stdexcept>

#include "analysis/inputs/run_tags.h"

namespace scalelab {
namespace {

bool is_transfer_run(const Run& r) {
  return tag_is(r, "study", "transfer");
}
bool is_trunk(const Run& r) {
  return tag_is(r, "branching", "trunk");
}

}  // namespace

std::vector<Run> scaling_runs(const std::vector<Run>& runs) {
  std::vector<Run> out;
  for (const auto& r : runs)
    if (!is_transfer_run(r) && !is_trunk(r)) out.push_back(r);
  return out;
}

FitInput load_fit_input(const std::string& path, const CsvColumns& cols,
                        const RunReadOptions& ropts, ParamCount count) {
  FitInput in;
  in.source = path;
  in.count = count;
  in.flop_convention = ropts.flop_convention;
  if (std::filesystem::is_regular_file(path)) {
    if (std::filesystem::path(path).extension() != ".csv")
      throw std::runtime_error(path + ": expected a .csv file or a folder of runs");
    in.from_csv = true;
    in.points = read_csv_points(path, cols);
    return in;
  }
  if (!std::filesystem::exists(path)) throw std::runtime_error(path + ": no such file or folder");
  RunSet set = read_runs(path, ropts);
  in.runs = std::move(set.runs);
  in.unfinished = std::move(set.unfinished);
  in.notes = std::move(set.notes);
  in.left_out = std::move(set.left_out);
  in.points = run_points(scaling_runs(in.runs), count);
  size_t n_transfer = 0, n_trunks = 0;
  for (const auto& r : in.runs) {
    n_transfer += is_transfer_run(r);
    n_trunks += is_trunk(r);
  }
  if (n_transfer > 0)
    in.notes.push_back(std::to_string(n_transfer) +
                       " transfer-study run(s) used only by the transfer fit");
  if (n_trunks > 0)
    in.notes.push_back(
        std::to_string(n_trunks) +
        " trunk run(s) of a branched grid left out (each budget's point is its branch)");
  return in;
}

}  // namespace scalelab
