#include "cli/fits_source.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "common/checked_io.h"
#include "common/enum_names.h"

namespace scalelab::cli {

nlohmann::json fits_source(const FitInput& in, const std::vector<std::string>& skipped) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& p : in.points) runs.push_back(p.name);
  nlohmann::json j = {{"input", in.source},       {"n_points", in.points.size()},
                      {"n_runs", in.runs.size()}, {"unfinished_runs", in.unfinished},
                      {"left_out", in.left_out},  {"notes", in.notes},
                      {"skipped_laws", skipped}};
  if (!in.from_csv) {
    j["runs"] = runs;
    j["flop_convention"] = enum_name(in.flop_convention);
    j["params_counted"] = in.count == ParamCount::total ? "total" : "non-embedding";
  }
  return j;
}

void restrict_fit_input(FitInput& in, const std::vector<std::string>& names,
                        const std::string& why) {
  const std::set<std::string> keep(names.begin(), names.end());
  std::vector<std::string> dropped;
  auto drop_run = [&](const Run& r) {
    if (keep.count(r.name) || r.tags.value("branching", "") == "trunk") return false;
    dropped.push_back(r.name);
    return true;
  };
  in.runs.erase(std::remove_if(in.runs.begin(), in.runs.end(), drop_run), in.runs.end());
  in.points.erase(std::remove_if(in.points.begin(), in.points.end(),
                                 [&](const Point& p) { return !keep.count(p.name); }),
                  in.points.end());
  auto outside = [&](const std::string& entry) {
    return !keep.count(entry.substr(0, entry.find(' ')));
  };
  in.unfinished.erase(std::remove_if(in.unfinished.begin(), in.unfinished.end(), outside),
                      in.unfinished.end());
  in.left_out.erase(std::remove_if(in.left_out.begin(), in.left_out.end(), outside),
                    in.left_out.end());
  if (!dropped.empty())
    in.notes.push_back(std::to_string(dropped.size()) + " run folder(s) of " + in.source +
                       " left out (" + why + "), e.g. " + dropped.front());
}

void match_fits_to_runs(const std::string& fits_path, FitInput& in, const std::string& convention) {
  const nlohmann::json j = nlohmann::json::parse(read_text_file(fits_path), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::runtime_error(fits_path + ": not a fits.json (not JSON)");
  const nlohmann::json source = j.value("source", nlohmann::json::object());
  const std::string fitted_under = source.value("flop_convention", "");
  if (!convention.empty() && !fitted_under.empty() && convention != fitted_under)
    throw std::runtime_error("--flop-convention " + convention + ": " + fits_path +
                             " was fitted with C under the " + fitted_under +
                             " convention; a report shows its fits under theirs (leave out "
                             "--flop-convention, or refit with `scalelab fit`)");
  if (!source.contains("runs") || !source["runs"].is_array() || in.from_csv) {
    if (!in.from_csv)
      in.notes.push_back(fits_path +
                         " does not name the runs it was fitted to; the report assumes they are "
                         "these");
    return;
  }
  std::set<std::string> here;
  for (const auto& p : in.points) here.insert(p.name);
  std::vector<std::string> fitted, missing;
  for (const auto& r : source["runs"]) {
    fitted.push_back(r.get<std::string>());
    if (!here.count(fitted.back())) missing.push_back(fitted.back());
  }
  if (!missing.empty())
    throw std::runtime_error(
        fits_path + " was fitted to other runs than " + in.source + " holds (" +
        std::to_string(missing.size()) + " of its " + std::to_string(fitted.size()) +
        " runs are not there, e.g. " + missing.front() + "; it came from " +
        source.value("input", std::string("elsewhere")) +
        "): point the report at those runs, or fit these with `scalelab fit " + in.source + "`");
  if (fitted.size() < here.size())
    restrict_fit_input(in, fitted, "not among the runs " + fits_path + " was fitted to");
}

}  // namespace scalelab::cli
