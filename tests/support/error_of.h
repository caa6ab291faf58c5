// The message of the runtime_error a call throws, or "(no error)": what a refusal test compares.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

namespace scalelab::test_util {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace scalelab::test_util
