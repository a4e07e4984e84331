// One replication of a process model.
//
// Design: the Simulator owns all mutable state of one run (parts, queues,
// servers, random streams, statistics) and nothing is shared between
// replications, so replications run on separate threads with no locks and
// a replication's results depend only on (model, seed, replication index).
// Parts move by offers: an object with a finished part offers it to its
// successor; a refusal registers the object as a waiter on the successor,
// and whoever frees space wakes its waiters in registration order. This
// gives blocking after service and starvation without polling.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model.h"

namespace werk::process {

// What the event log records.
enum class LogEvent : uint8_t {
  arrive, lose, enter, start_setup, start_work, finish, block, leave, scrap, fail, repair, maintenance_start,
  maintenance_end, shift_on, shift_off, exit_system
};
constexpr int kLogEventCount = 16;
extern const char* const kLogEventNames[kLogEventCount];

// Receives the time series of one replication (the HDF5 writer in the CLI).
struct Trace {
  virtual ~Trace() = default;
  virtual void state(int node, Tick t, State s) = 0;
  virtual void length(int node, Tick t, int64_t n) = 0;
  virtual void event(Tick t, int node, LogEvent e, uint64_t part) = 0;
  // Writes out what is buffered and returns how far each of its series has
  // got (for a checkpoint, which continues the trace from there).
  virtual std::vector<int64_t> sync() { return {}; }
};

struct StationResult {
  std::array<double, kStateCount> seconds{};  // server-seconds in each state
  int64_t parts_in = 0, parts_out = 0, produced = 0, good = 0, scrapped = 0;
  double ideal_seconds = 0;  // sum of mean process times of produced parts
  double energy_kwh = 0;
};

struct BufferResult {
  double mean_length = 0, mean_wait = 0;
  int64_t max_length = 0, parts_out = 0;
};

struct Results {
  double window_seconds = 0;  // the statistics window (after warm-up)
  double end_seconds = 0;
  bool interrupted = false;
  uint64_t events = 0;
  std::vector<StationResult> stations;  // per station spec
  std::vector<BufferResult> buffers;    // per buffer spec, then per conveyor spec
  std::vector<int64_t> source_generated, source_lost;
  std::vector<double> pool_utilization;
  int64_t good_parts = 0, scrapped_parts = 0;
  double wip_mean = 0;
  std::vector<double> lead_times;  // seconds, good parts reaching a sink
  // Little's law terms over all departures (good, scrapped, consumed).
  int64_t departures = 0;
  double sojourn_mean = 0;
  double wip_integral_check = 0;  // |integral of WIP - sum of sojourn overlaps| / integral (must be ~0)
};

// The physical line a process drives (engine/src/line): spawning sources
// and placing stations hand their parts to it; it hands parts to stations
// that take them and to sinks with zones (Simulator::offer_part). Part
// handles are the simulator's part slots (stable while a part lives).
struct Physical {
  virtual ~Physical() = default;
  // A source's new part appears on the line; false: its spot is occupied
  // (the source blocks or loses the part, per when_blocked).
  virtual bool spawn(int node, uint32_t part, int type) = 0;
  // A station puts a finished part back on the line; false: its spot is
  // occupied (the server stays blocked).
  virtual bool place(int node, uint32_t part, int type) = 0;
  // The part left the line (a sink, scrap, consumed by an assembly).
  virtual void gone(uint32_t part) = 0;
};

class Simulator {
 public:
  Simulator(const Model& model, uint64_t seed, uint64_t replication, Trace* trace = nullptr,
            Physical* physical = nullptr);
  ~Simulator();
  // Runs until `end` (or a stop request) and returns the statistics.
  // `pause`, polled with the stop request, pauses the run: paused() is
  // then true, save() gives its whole state and run() continues it.
  Results run(Tick end, const std::function<bool()>& pause = {});
  bool paused() const;
  // The whole state of a paused (or not yet started) run, as bytes; load()
  // restores it into a simulator of the same model, seed and replication,
  // whose run() then continues exactly where the saved one paused. load()
  // throws RuntimeError for bytes that are not such a state.
  std::string save() const;
  void load(const std::string& bytes);

  // Stepwise use beside the physics: begin(end) once, then advance(t) for
  // increasing t (every event at or before t happens, and the clock stands
  // at t), offer_part and retry_physical at that time, finish() at the end.
  void begin(Tick end);
  void advance(Tick t);
  // Offers a part on the line to a station (take) or a sink (zone); true
  // when taken.
  bool offer_part(int node, uint32_t part);
  // Spawning sources and placing stations whose spot was occupied try again.
  void retry_physical();
  Results finish();
  // The displayed state of a station node, and a part's type and serial number.
  State station_state(int node) const;
  int part_type(uint32_t part) const;
  uint64_t part_id(uint32_t part) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Convenience: one replication of `model` to its duration.
Results simulate(const Model& model, uint64_t seed, uint64_t replication, Trace* trace = nullptr);

}  // namespace werk::process
