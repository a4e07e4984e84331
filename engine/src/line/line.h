// Physical production lines: the process simulation driving physical parts.
//
// A scene is a physical line when it has a `sensors:` section, a process
// object with `spawn:`, `take:`, `place:` or `zone:`, or a conveyor with
// `stop_when:` (docs/physical-lines.md). compile_line reads those keys;
// LineRun steps the physics and the process together:
//
//   at each step boundary t (the physics at time t):
//     1. sensors are evaluated on the bodies at t (blocked/cleared, enter/exit)
//     2. the process handles every event at or before t; spawns and places
//        it asks for act on the bodies now
//     3. stations take parts from their zones, sinks remove parts in theirs
//     4. sources and stations whose spot was occupied try again
//     5. belt rules set the belts' target speeds (ramped by acceleration)
//     6. one physics step
//
// Everything runs on the host in a fixed order (worlds, then objects in
// scene order, then bodies by index), so a run is deterministic for any
// thread count. Replications are worlds of one Simulation, each with its
// own process replication.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "werk/model.h"
#include "werk/simulation.h"
#include "../process/experiment.h"
#include "../yaml_read.h"

namespace werk::line {

enum class SensorKind : uint8_t { photo_eye, zone };

struct SensorSpec {
  std::string name;
  SensorKind kind = SensorKind::zone;
  Vec3 from{0, 0, 0}, to{0, 0, 0};          // photo_eye: the beam (m)
  Vec3 position{0, 0, 0};                   // zone: centre (m)
  Quat rotation{1, 0, 0, 0};                // zone: orientation
  Vec3 half{0, 0, 0};                       // zone: half extents (m)
  int64_t capacity = -1;                    // zone: parts it holds when full (-1: no capacity)
};

// A condition a belt rule watches.
enum class Watch : uint8_t { blocked, cleared, occupied, empty, full, station };

struct RuleSpec {
  int sensor = -1;        // sensor index, or -1 for a station rule
  int station = -1;       // process node index (station rules)
  Watch watch = Watch::blocked;
  int station_state = 0;  // process::State for station rules
  double delay = 0;       // s the condition must hold before the belt stops
};

struct BeltSpec {
  int conveyor = -1;
  std::vector<RuleSpec> rules;  // the belt stops while any rule holds (after its delay)
  double acceleration = 0;      // m/s^2; 0: speed changes at once
  double resume_delay = 0;      // s no rule must hold before the belt restarts
};

// Where a part appears: pose and velocity.
struct Spot {
  Vec3 position{0, 0, 0};
  Quat rotation{1, 0, 0, 0};
  Vec3 velocity{0, 0, 0};
  int pool = -1;  // part template (pool index); -1: the pool named like the part's type
};

struct LineSpec {
  std::vector<SensorSpec> sensors;
  std::vector<BeltSpec> belts;   // conveyors with rules or an acceleration
  // Per process node (empty when the scene has no process).
  std::vector<int8_t> spawns, places;  // 1 when spawn[i] / place[i] hold a spot
  std::vector<Spot> spawn, place;
  std::vector<int> take_zone;           // sensor index of a station's take zone, or -1
  std::vector<uint8_t> take_on_enter;   // 1: take as the part enters; 0: once it rests
  std::vector<int> sink_zone;           // sensor index of a sink's zone, or -1
  std::vector<int> type_pool;           // per process part type: the pool named like it, or -1
};

// True when the scene is a physical line (see above).
bool is_line(const YAML::Node& root);

// Reads the line's keys (throws InputError with file:line:column). `pm`
// may be null for a scene without a process.
LineSpec compile_line(const yaml::Source& src, const YAML::Node& root, const Model& model, const process::Model* pm);

// Parts of one part template in one world, for conservation checks.
struct PoolCount {
  int64_t spawned = 0;     // bodies placed from this pool (sources, and stations placing a new type)
  int64_t active = 0;      // bodies of this pool active now
  int64_t in_station = 0;  // parts of this pool taken by a station, not yet placed back
  int64_t removed = 0;     // parts that left (sinks, scrap, a station turning them into another type)
};

class LineRun {
 public:
  // `sim` runs one replication per world; process replication w drives
  // world w (replication 0 reports to `trace`). `pm` may be null. With
  // `resume` (what save() gave), the line continues from that state instead
  // of starting: nothing is evaluated or reported at construction.
  LineRun(Simulation& sim, const process::Model* pm, LineSpec spec, uint64_t seed, process::Trace* trace = nullptr,
          const std::string* resume = nullptr);
  ~LineRun();
  LineRun(const LineRun&) = delete;
  LineRun& operator=(const LineRun&) = delete;

  // n coupled steps (see the top of this file).
  void step(int n = 1);
  // Everything the coupling carries from one step to the next (pools,
  // sensors, belt rules, statistics, each world's process), as bytes for a
  // checkpoint; with the Simulation's State and SolverMemory it continues
  // a run bit for bit. Wall-clock figures are not kept.
  std::string save() const;
  // Process results per world plus the line's KPIs (belts, sensors, parts).
  process::Experiment finish();

  PoolCount pool_count(int pool, int world = 0) const;
  // Sensor state now: a photo-eye's 1 (blocked) or 0, a zone's count.
  int64_t sensor_value(int sensor, int world = 0) const;
  int64_t sensor_events(int sensor, int world = 0) const;  // blocked or enter events so far
  // Recorded world 0 series of every sensor: (step, value) at each change,
  // and the events (step, sensor, event, body).
  struct Change {
    int64_t step;
    int64_t value;
  };
  struct SensorEvent {
    int64_t step;
    int32_t sensor;
    uint8_t event;  // 0 blocked, 1 cleared, 2 enter, 3 exit
    int32_t body;
  };
  const std::vector<Change>& sensor_series(int sensor) const;
  const std::vector<SensorEvent>& sensor_log() const;
  // Writes /observables/<sensor>/... and /line/events into an open HDF5
  // file (not in SWMR mode).
  void write_h5(int64_t file) const;
  const LineSpec& spec() const;
  // Wall time spent in physics steps and in the coupling (sensors, process,
  // takes, belts) so far.
  double physics_seconds() const;
  double coupling_seconds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The line's KPI rows printed after the process table.
void print_line_kpis(const LineSpec& spec, const Model& model, const process::Experiment& e, std::ostream& out);

}  // namespace werk::line
