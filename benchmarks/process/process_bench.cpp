// Event-throughput benchmarks of the process simulator.
//
//   werk_process_bench hold N EVENTS   hold model: N pending events, each
//                                      popped and rescheduled after a
//                                      uniform delay (pop + push per event)
//   werk_process_bench mm1 HORIZON     M/M/1 (rho 0.9) through the full
//                                      engine: source, queue, station, sink
// Each prints one line "key=value ..." that run.sh reads.
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../../engine/src/process/experiment.h"

using namespace werk::process;

namespace {

// Rates use the thread's CPU time: the figure per core, unaffected by
// other work sharing the machine (the SimPy peer does the same).
double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

int hold(long n, long events) {
  EventQueue q;
  q.reserve(size_t(n));
  Rng rng(1, 0, 0, 0);
  const Tick max_delay = 2 * kTicksPerSecond;
  for (long i = 0; i < n; ++i) q.push(Tick(rng.next() % uint64_t(max_delay)), uint32_t(i), 0);
  double t0 = cpu_seconds();
  Tick checksum = 0;
  for (long k = 0; k < events; ++k) {
    Event e = q.pop();
    checksum += e.tick;
    q.push(e.tick + Tick(rng.uniform() * double(max_delay)), e.object, 0);
  }
  double cpu = cpu_seconds() - t0;
  std::printf("model=hold n=%ld events=%ld cpu_s=%.4f events_per_s=%.0f checksum=%lld\n", n, events, cpu,
              double(events) / cpu, (long long)(checksum & 0xFFFF));
  return 0;
}

int mm1(double horizon) {
  static werk::yaml::Source src{"mm1.yaml"};
  std::string text = "process:\n  duration: " + std::to_string(horizon) +
                     "\n  event_log: false\n  objects:\n"
                     "    arrivals: {type: source, interarrival: {dist: exponential, mean: 1.1111111111}, to: queue}\n"
                     "    queue: {type: buffer, to: server}\n"
                     "    server: {type: station, process_time: {dist: exponential, mean: 1.0}, to: out}\n"
                     "    out: {type: sink}\n";
  Model m = compile_model(src, werk::yaml::load_string(src, text)["process"], -1, 1);
  double t0 = cpu_seconds();
  Results r = simulate(m, 1, 0);
  double cpu = cpu_seconds() - t0;
  std::printf("model=mm1 horizon=%.0f customers=%lld events=%llu cpu_s=%.4f customers_per_s=%.0f events_per_s=%.0f "
              "mean_time_in_system=%.3f\n",
              horizon, (long long)r.good_parts, (unsigned long long)r.events, cpu, double(r.good_parts) / cpu,
              double(r.events) / cpu, r.sojourn_mean);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = argc > 1 ? argv[1] : "";
  if (model == "hold" && argc == 4) return hold(std::atol(argv[2]), std::atol(argv[3]));
  if (model == "mm1" && argc == 3) return mm1(std::atof(argv[2]));
  std::fprintf(stderr, "usage: werk_process_bench hold N EVENTS | mm1 HORIZON_S\n");
  return 2;
}
