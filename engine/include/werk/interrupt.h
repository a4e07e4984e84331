// Cooperative stop: SIGINT/SIGTERM set a flag that long loops poll, so a
// run ends cleanly with every result written so far.
#pragma once

namespace werk {
// Installs SIGINT and SIGTERM handlers that request a stop.
void install_stop_handlers();
// True once a stop was requested (by a signal or request_stop()).
bool stop_requested();
void request_stop();
// The signal that requested the stop, or 0.
int stop_signal();
}  // namespace werk
