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
  if (!outermost_) return;
  // A signal received means the program is stopping as it asked: the first is the one obeyed, to
  // the exit (a Ctrl-C and then a kill while the command ends and LibTorch tears down must not
  // turn exit code 130 into death by SIGTERM). Otherwise the previous handlers come back.
  for (int i = 0; i < 3; ++i) {
    if (g_received == 0) {
      sigaction(kSignals[i], &previous_[i], nullptr);
    } else {
      struct sigaction ignore;
      std::memset(&ignore, 0, sizeof ignore);
      ignore.sa_handler = SIG_IGN;
      sigemptyset(&ignore.sa_mask);
      sigaction(kSignals[i], &ignore, nullptr);
    }
  }
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
