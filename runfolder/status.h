// How a run ended (summary.json's "status"): one enum, one table of names.
#pragma once

#include <array>
#include <utility>

#include "common/enum_names.h"

namespace scalelab {

enum class RunStatus {
  finished,       // trained its whole budget
  early_stopped,  // validation stopped improving (eval.early_stop_patience)
  diverged,       // loss or gradient norm became NaN/inf; the last good checkpoint is kept
  paused,         // ended its session early (--stop-after-step, a signal); --resume continues it
};

template <>
struct EnumNames<RunStatus> {
  static constexpr std::array<std::pair<RunStatus, const char*>, 4> values{
      {{RunStatus::finished, "finished"},
       {RunStatus::early_stopped, "early_stopped"},
       {RunStatus::diverged, "diverged"},
       {RunStatus::paused, "paused"}}};
};

// A complete run is a point of a scaling curve: it finished or stopped early by its own rule.
inline bool is_complete(RunStatus s) {
  return s == RunStatus::finished || s == RunStatus::early_stopped;
}

}  // namespace scalelab
