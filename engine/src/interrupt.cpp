#include "werk/interrupt.h"

#include <atomic>
#include <csignal>

namespace werk {
namespace {
std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int sig) {
  g_stop_signal.store(sig);
  g_stop.store(true);
}
}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}
bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }
void request_stop() { g_stop.store(true); }
int stop_signal() { return g_stop_signal.load(); }
}  // namespace werk
