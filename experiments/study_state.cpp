#include "experiments/study_state.h"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/checked_io.h"

namespace scalelab::sweep {
namespace {

nlohmann::json added_json(const AddedSize& a) {
  nlohmann::json shape = nlohmann::json::object();
  for (const auto& [k, v] : a.shape) shape[k] = v;
  return {{"wave", a.wave},     {"budget", a.budget}, {"side", side_name(a.side)}, {"shape", shape},
          {"params", a.params}, {"runs", a.runs},     {"reason", a.reason}};
}

AddedSize added_from(const nlohmann::json& j) {
  AddedSize a;
  a.wave = j.at("wave").get<int>();
  a.budget = j.at("budget").get<double>();
  const std::string side = j.at("side").get<std::string>();
  if (side != "below" && side != "above") throw std::runtime_error("side: '" + side + "'");
  a.side = side == "below" ? Side::below : Side::above;
  for (const auto& [k, v] : j.at("shape").items()) a.shape.emplace_back(k, v.get<std::string>());
  a.params = j.at("params").get<double>();
  a.reason = j.value("reason", "");
  if (j.contains("runs")) a.runs = j["runs"].get<std::vector<std::string>>();
  return a;
}

}  // namespace

nlohmann::json study_state_json(const StudyState& s) {
  nlohmann::json added = nlohmann::json::array(), budgets = nlohmann::json::array();
  nlohmann::json bracketed = nlohmann::json::array(), unbracketed = nlohmann::json::array();
  for (const auto& a : s.added) added.push_back(added_json(a));
  for (const auto& v : s.budgets) {
    nlohmann::json b = {
        {"budget", v.budget}, {"bracketed", v.bracketed}, {"added", v.added}, {"reason", v.reason}};
    for (const auto& st : s.standings)
      if (st.budget == v.budget)
        b["standing"] = {{"sizes", st.sizes}, {"means", st.means}, {"seeds", st.seeds},
                         {"i_min", st.i_min}, {"below", st.below}, {"above", st.above}};
    budgets.push_back(b);
    if (v.bracketed)
      bracketed.push_back(v.budget);
    else if (s.phase == "bracketed" || s.phase == "fitted")
      unbracketed.push_back({{"budget", v.budget}, {"reason", v.reason}});
  }
  nlohmann::json waves = nlohmann::json::array();
  for (int w = 0; w <= s.wave; ++w) {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& a : s.added)
      if (a.wave == w)
        for (const auto& r : a.runs) runs.push_back(r);
    waves.push_back({{"wave", w},
                     {"what", w == 0 ? "the study file's design" : "sizes added by bracketing"},
                     {"added_runs", runs}});
  }
  return {{"version", 1},
          {"study", s.study_file},
          {"phase", s.phase},
          {"wave", s.wave},
          {"waves", waves},
          {"added", added},
          {"budgets", budgets},
          {"bracketed", bracketed},
          {"unbracketed", unbracketed},
          {"notes", s.notes},
          {"updated", std::time(nullptr)}};
}

StudyState read_study_state(const std::string& path) {
  StudyState s;
  if (!std::filesystem::exists(path)) return s;
  const nlohmann::json j = nlohmann::json::parse(read_text_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::runtime_error(path + ": not JSON; move it away to start the study's waves afresh");
  try {
    s.study_file = j.value("study", "");
    s.wave = j.value("wave", 0);
    s.phase = j.value("phase", "training");
    for (const auto& a : j.at("added")) s.added.push_back(added_from(a));
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": malformed (" + std::string(e.what()) +
                             "); move it away to start the study's waves afresh");
  }
  return s;
}

void write_study_state(const std::string& path, const StudyState& state) {
  if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty())
    make_directories(dir.string());
  write_file_atomic(path, study_state_json(state).dump(2) + "\n");
}

std::string study_state_text(const StudyState& s) {
  int n_bracketed = 0;
  std::string lines;
  for (const auto& v : s.budgets) {
    n_bracketed += v.bracketed;
    if (!v.bracketed) lines += "  " + v.reason + "\n";
  }
  std::string head =
      "wave " + std::to_string(s.wave) + ", " + std::to_string(s.added.size()) + " size(s) added";
  if (!s.budgets.empty())
    head += ", " + std::to_string(n_bracketed) + " of " + std::to_string(s.budgets.size()) +
            " budgets bracketed";
  return head + "\n" + lines;
}

}  // namespace scalelab::sweep
