#include "experiments/signal_relay.h"

#include <cstring>

namespace scalelab::sweep {
namespace {

constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGUSR1};
volatile std::sig_atomic_t g_received = 0;

void record_signal(int signal_number) {
  if (g_received == 0) g_received = signal_number;
}

}  // namespace

SignalRelay::SignalRelay() {
  g_received = 0;
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = record_signal;  // no SA_RESTART: a sleeping runner wakes up
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &action, &previous_[i]);
}

SignalRelay::~SignalRelay() {
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &previous_[i], nullptr);
}

int SignalRelay::received() const {
  return g_received;
}

}  // namespace scalelab::sweep
