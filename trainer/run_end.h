// How a session ends: summary.json for every status (finished, early_stopped, paused, diverged),
// with N, D, C, the config and the tags, and the closing log line.
#pragma once

#include "runfolder/summary.h"
#include "trainer/observers.h"

namespace scalelab {

// Writes summary.json (rank 0), logs the outcome and returns the summary.
RunSummary end_run(TrainSession& session, const MetricsLog& log, const RunClock& clock,
                   RunStatus status, const std::string& error = "", int stop_signal = 0);

// A step whose loss or gradient norm is not finite: writes the diverged summary and throws
// DivergedError naming the step; the last good checkpoint stays on disk.
[[noreturn]] void end_diverged(TrainSession& session, const MetricsLog& log, const RunClock& clock,
                               const StepResult& step);

// Short git commit of the source tree the binary was built from, or "unknown".
std::string source_git_commit();

}  // namespace scalelab
