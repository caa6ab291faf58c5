#include "core/hparams.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/checked_io.h"

namespace scalelab {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw std::runtime_error(path + ": " + why + " (hparams.json is written by `scalelab tune`)");
}

double positive(const json& j, const char* key, const std::string& path, const std::string& where) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number() || !(j[key].get<double>() > 0))
    bad(path, where + key + ": missing or not a positive number");
  return j[key].get<double>();
}

json law_json(const SizeLaw& l) {
  auto ci = [](double lo, double hi) {
    return std::isfinite(lo) && std::isfinite(hi) ? json::array({lo, hi}) : json(nullptr);
  };
  return {{"form", l.sign < 0 ? "c * N^-k" : "c * N^k"},
          {"c", l.c},
          {"k", l.k},
          {"c_ci95", ci(l.c_lo, l.c_hi)},
          {"k_ci95", ci(l.k_lo, l.k_hi)}};
}

SizeLaw read_law(const json& j, int sign, const std::string& path, const std::string& where) {
  SizeLaw l;
  l.sign = sign;
  l.c = positive(j, "c", path, where);
  if (!j.contains("k") || !j["k"].is_number() || !std::isfinite(j["k"].get<double>()))
    bad(path, where + "k: missing or not a number");
  l.k = j["k"].get<double>();
  for (auto [key, lo, hi] : {std::tuple{"c_ci95", &l.c_lo, &l.c_hi}, {"k_ci95", &l.k_lo, &l.k_hi}})
    if (j.contains(key) && j[key].is_array() && j[key].size() == 2 && j[key][0].is_number() &&
        j[key][1].is_number())
      *lo = j[key][0].get<double>(), *hi = j[key][1].get<double>();
  return l;
}

}  // namespace

Hparams read_hparams(const std::string& path) {
  std::ifstream in(path);
  if (!in) bad(path, "cannot read the file");
  const json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) bad(path, "not a JSON object");
  if (j.value("version", 0) != 1) bad(path, "expected \"version\": 1");
  Hparams h;
  h.path = path;
  h.params_counted = j.value("params_counted", std::string());
  if (h.params_counted != "total" && h.params_counted != "non_embedding")
    bad(path, "params_counted: expected total or non_embedding, got '" + h.params_counted + "'");
  if (!j.contains("laws") || !j["laws"].is_object() || !j["laws"].contains("lr_opt"))
    bad(path, "laws.lr_opt: missing (the tuned lr_opt(N) = c N^-k)");
  h.lr = read_law(j["laws"]["lr_opt"], -1, path, "laws.lr_opt.");
  if (j["laws"].contains("batch_opt_tokens"))
    h.batch_tokens = read_law(j["laws"]["batch_opt_tokens"], +1, path, "laws.batch_opt_tokens.");
  if (j.contains("warmup_tokens_per_param")) {
    if (!j["warmup_tokens_per_param"].is_number() || j["warmup_tokens_per_param"].get<double>() < 0)
      bad(path, "warmup_tokens_per_param: not a number >= 0");
    h.warmup_tokens_per_param = j["warmup_tokens_per_param"].get<double>();
  }
  if (!j.contains("sizes") || !j["sizes"].is_array() || j["sizes"].empty())
    bad(path, "sizes: missing or empty (the tuned sizes the law was fitted to)");
  for (size_t i = 0; i < j["sizes"].size(); ++i) {
    const json& s = j["sizes"][i];
    const std::string where = "sizes[" + std::to_string(i) + "].";
    TunedSize t;
    t.N = positive(s, "N", path, where);
    t.lr_opt = positive(s, "lr_opt", path, where);
    t.loss_opt = s.value("loss_opt", 0.0);
    t.batch_tokens = s.value("batch_tokens", 0.0);
    t.beta2 = s.value("beta2", 0.0);
    t.runs = s.value("runs", std::string());
    if (!h.sizes.empty() && t.N <= h.sizes.back().N) bad(path, "sizes: N must ascend");
    h.sizes.push_back(t);
  }
  return h;
}

void write_hparams(const std::string& path, const Hparams& h, const json& extra) {
  json j = {{"version", 1},
            {"params_counted", h.params_counted},
            {"laws", {{"lr_opt", law_json(h.lr)}}},
            {"warmup_tokens_per_param", h.warmup_tokens_per_param},
            {"sizes", json::array()}};
  if (h.batch_tokens) j["laws"]["batch_opt_tokens"] = law_json(*h.batch_tokens);
  for (const auto& s : h.sizes)
    j["sizes"].push_back({{"N", s.N},
                          {"lr_opt", s.lr_opt},
                          {"loss_opt", s.loss_opt},
                          {"batch_tokens", s.batch_tokens},
                          {"beta2", s.beta2},
                          {"runs", s.runs}});
  if (extra.is_object())
    for (const auto& [k, v] : extra.items()) j[k] = v;
  // A temporary file renamed over the old one: sweeps read this file through lr_from, so an
  // interrupted write must leave the previous law, never half of one.
  write_file_atomic(path, j.dump(2) + "\n");
}

}  // namespace scalelab
