#include "analysis/fits/fit_result.h"

#include "analysis/fits/identify.h"

#include <cstdio>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace scalelab {

const Estimate& FitResult::at(const std::string& name) const {
  for (const auto& p : params)
    if (p.name == name) return p;
  throw std::runtime_error(enum_name(law) + ": no constant '" + name + "'");
}

void FitResult::set_intervals(const std::vector<double>& lo, const std::vector<double>& hi) {
  for (size_t i = 0; i < params.size() && i < lo.size(); ++i)
    params[i].lo = lo[i], params[i].hi = hi[i];
}

const FitResult* find_fit(const std::vector<FitResult>& fits, LawId law) {
  for (const auto& f : fits)
    if (f.law == law) return &f;
  return nullptr;
}

nlohmann::json to_json(const FitResult& fit) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& p : fit.params) {
    params[p.name]["value"] = p.value;
    params[p.name]["ci95"] =
        p.has_ci() ? nlohmann::json::array({p.lo, p.hi}) : nlohmann::json(nullptr);
  }
  return {
      {"params", params},   {"procedure", fit.procedure},   {"data", fit.data},
      {"notes", fit.notes}, {"identified", fit.identified}, {"not_identified", fit.not_identified}};
}

FitResult fit_from_json(LawId law, const nlohmann::json& j) {
  FitResult f;
  f.law = law;
  // JSON has no NaN: a fit whose constant is not finite wrote null (the gate names it).
  auto number = [](const nlohmann::json& v) {
    return v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
  };
  for (const auto& [name, p] : j.at("params").items()) {
    Estimate e{name, number(p.at("value"))};
    if (p.contains("ci95") && p["ci95"].is_array() && p["ci95"].size() == 2)
      e.lo = number(p["ci95"][0]), e.hi = number(p["ci95"][1]);
    f.params.push_back(e);
  }
  f.procedure = j.value("procedure", nlohmann::json::object());
  f.data = j.value("data", nlohmann::json::object());
  if (j.contains("notes")) f.notes = j["notes"].get<std::vector<std::string>>();
  if (j.contains("identified") && j["identified"].is_boolean()) {
    f.identified = j["identified"].get<bool>();
    if (j.contains("not_identified") && j["not_identified"].is_array())
      f.not_identified = j["not_identified"].get<std::vector<std::string>>();
  } else {  // written before the gate: judged now, with the limit it was fitted under if known
    f = judged(f);
  }
  return f;
}

void write_fits_json(const std::string& path, const std::vector<FitResult>& fits,
                     const nlohmann::json& source) {
  nlohmann::json j = {{"version", 1}, {"source", source}, {"laws", nlohmann::json::object()}};
  // A fit is never written unjudged: one that no gate has seen yet is judged here.
  for (const auto& f : fits)
    j["laws"][enum_name(f.law)] =
        to_json(!f.identified && f.not_identified.empty() ? judged(f) : f);
  std::ofstream out(path);
  if (!out) throw std::runtime_error(path + ": cannot write");
  out << j.dump(2) << "\n";
}

std::vector<FitResult> read_fits_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open fits.json");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
  if (j.value("version", 0) != 1) throw std::runtime_error(path + ": expected fits.json version 1");
  std::vector<FitResult> out;
  for (const auto& [law, v] : j.at("laws").items())
    out.push_back(fit_from_json(parse_enum<LawId>(law, path + ": law"), v));
  return out;
}

void note_wide_intervals(FitResult& fit, const std::vector<std::string>& names, double max_rel) {
  for (const auto& n : names) {
    const auto& e = fit.at(n);
    if (!e.has_ci()) continue;
    double rel = (e.hi - e.lo) / std::abs(e.value);
    if (rel > max_rel) {
      char buf[256];
      std::snprintf(
          buf, sizeof buf,
          "%s: the 95%% interval [%.3g, %.3g] is %.0f%% of the value; the data do not pin it down",
          n.c_str(), e.lo, e.hi, 100 * rel);
      fit.notes.push_back(buf);
    }
  }
}

}  // namespace scalelab
