// Cooperative stop: SIGINT/SIGTERM set a flag that long loops poll, so a
// run ends cleanly with every result written so far.
#pragma once

#include "werk/export.h"

namespace werk {
// Installs SIGINT and SIGTERM handlers that request a stop.
WERK_API void install_stop_handlers();
// True once a stop was requested (by a signal or request_stop()).
WERK_API bool stop_requested();
WERK_API void request_stop();
// The signal that requested the stop, or 0.
WERK_API int stop_signal();
}  // namespace werk
