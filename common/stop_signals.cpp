#include "common/stop_signals.h"

#include <cstring>

namespace scalelab {
namespace {

constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGUSR1};
volatile std::sig_atomic_t g_received = 0;
int g_depth = 0;  // StopSignals objects alive (made and destroyed on the main thread)

extern "C" void record_signal(int signal_number) {
  if (g_received == 0) g_received = signal_number;
}

}  // namespace

StopSignals::StopSignals() {
  outermost_ = g_depth++ == 0;
  if (!outermost_) return;
  g_received = 0;
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = record_signal;  // no SA_RESTART: a sleeping or waiting process wakes up
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &action, &previous_[i]);
}

StopSignals::~StopSignals() {
  --g_depth;
  if (outermost_)
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &previous_[i], nullptr);
}

int StopSignals::received() const {
  return g_received;
}

std::string signal_name(int signal_number) {
  switch (signal_number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGUSR1:
      return "SIGUSR1";
  }
  return "signal " + std::to_string(signal_number);
}

}  // namespace scalelab
