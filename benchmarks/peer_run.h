// The benchmark peers' command line, timed loop and report: the options
// and the output lines (text and JSON) of `werk bench`, so that
// benchmarks/run.sh reads every engine the same way.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace peer {

struct RunArgs {
  std::string path;
  int steps = 600, warmup = 0;
  double max_seconds = 0;  // stop (partial) once the timed steps took this long; 0: never
  bool json = false;
  bool matched = false;    // settings matched to Werk's quality instead of the peer's defaults (see each peer)
};

// Parses SCENE [--steps N] [--warmup N] [--max-seconds T] [--json] [--matched]; --threads
// and --backend are accepted for symmetry with `werk bench` and ignored
// (the peers run single-threaded). Returns -1 to go on, or the exit status
// (after usage() printed how to call the peer).
inline int parse_run_args(int argc, char** argv, RunArgs& a, int (*usage)()) {
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) std::exit(usage());
      return argv[++i];
    };
    if (s == "--steps")
      a.steps = std::atoi(next());
    else if (s == "--warmup")
      a.warmup = std::atoi(next());
    else if (s == "--max-seconds")
      a.max_seconds = std::atof(next());
    else if (s == "--threads" || s == "--backend")
      next();
    else if (s == "--json")
      a.json = true;
    else if (s == "--matched")
      a.matched = true;
    else if (s == "-h" || s == "--help")
      return usage(), 0;
    else if (!s.empty() && s[0] == '-')
      return usage();
    else
      a.path = s;
  }
  if (a.path.empty() || a.steps <= 0 || a.warmup < 0) return usage();
  return -1;
}

struct Timing {
  int done = 0;        // steps made
  double wall = 0;     // seconds they took
  bool partial = false;
};

// Times a.steps calls of step(), which returns seconds it spent on work
// that is not the engine's (left out of the time); stops early after
// a.max_seconds.
template <class Step>
Timing run_steps(const RunArgs& a, Step step) {
  Timing t;
  const auto t0 = std::chrono::steady_clock::now();
  double untimed = 0;
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - untimed; };
  for (; t.done < a.steps; ++t.done) {
    untimed += step();
    if (a.max_seconds > 0 && elapsed() > a.max_seconds) {
      ++t.done;
      break;
    }
  }
  t.wall = elapsed();
  t.partial = t.done < a.steps;
  return t;
}

// What a peer measured at the end of its run.
struct Report {
  std::string scene, backend;
  int bodies = 0, dynamic = 0;
  Timing timing;
  double max_penetration = 0;  // m
  double top_z = 0, top_z0 = 0;  // highest dynamic body now and at the start (m)
  double mean_speed = 0;       // mean |v| of the dynamic bodies (m/s)
  uint64_t hash = 0;
};

// One text line and, with json, one JSON line, as `werk bench` prints them.
inline void print_report(const Report& r, bool json) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const Timing& t = r.timing;
  const double steps_per_s = t.done / t.wall, body_steps = steps_per_s * r.dynamic;
  std::printf("%s: %d bodies (%d dynamic), %d%s steps in %.3f s: %.1f steps/s, %.0f body-steps/s, peak memory %.1f MB, "
              "max penetration %.2f mm, top body at z = %.3f m (start %.3f m), state hash %016llx [%s]\n",
              r.scene.c_str(), r.bodies, r.dynamic, t.done, t.partial ? " (partial)" : "", t.wall, steps_per_s,
              body_steps, ru.ru_maxrss / 1024.0, r.max_penetration * 1000.0, r.top_z, r.top_z0,
              (unsigned long long)r.hash, r.backend.c_str());
  if (json)
    std::printf("{\"scene\":\"%s\",\"bodies\":%d,\"dynamic\":%d,\"steps\":%d,\"seconds\":%.6f,\"steps_per_s\":%.3f,"
                "\"body_steps_per_s\":%.1f,\"peak_rss_kb\":%ld,\"device_bytes\":0,\"hash\":\"%016llx\",\"backend\":\"%s\","
                "\"max_penetration_m\":%.6f,\"top_z_m\":%.6f,\"top_z0_m\":%.6f,\"mean_speed_m_s\":%.4f,\"partial\":%s}\n",
                r.scene.c_str(), r.bodies, r.dynamic, t.done, t.wall, steps_per_s, body_steps, ru.ru_maxrss,
                (unsigned long long)r.hash, r.backend.c_str(), r.max_penetration, r.top_z, r.top_z0, r.mean_speed,
                t.partial ? "true" : "false");
  std::fflush(stdout);
}

}  // namespace peer
