// The compiled process model: what the scene's `process:` section says,
// checked and resolved to indices, immutable while replications run.
//
// Design: objects of all kinds live in one `nodes` array (the flow graph)
// and each node points into a kind-specific array of specs. Names are
// resolved to indices at compile time so the simulator never looks up a
// string, and every reference error is reported with the line and column
// of the scene. Times are stored in ticks (integer nanoseconds) except
// distribution samples, which are drawn in seconds and rounded once.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "distribution.h"
#include "event_queue.h"

namespace werk::process {

// A station's state; time in each is a KPI. `idle` is starved.
enum class State : uint8_t { idle, working, setup, blocked, failed, maintenance, off_shift };
constexpr int kStateCount = 7;
extern const char* const kStateNames[kStateCount];

enum class NodeKind : uint8_t { source, buffer, station, conveyor, router, sink };
enum class Discipline : uint8_t { fifo, lifo, priority };
enum class RouteRule : uint8_t { probability, round_robin, shortest_queue, part_type };
enum class FailureBasis : uint8_t { calendar, operating, count };

struct PartTypeSpec {
  std::string name;
  int priority = 0;  // higher leaves a priority buffer first
};

struct ArrivalRow {
  Tick tick;
  int type;
  int count;
};

struct SourceSpec {
  Distribution interarrival;
  std::vector<ArrivalRow> table;  // used instead of interarrival when non-empty
  std::vector<int> mix_types;
  std::vector<double> mix_cumulative;
  int batch = 1;
  bool lose_when_blocked = false;
  int64_t limit = -1;  // total parts, <0: unlimited
  Tick start = 0;
  bool spawn = false;  // `spawn:` parts appear as bodies on the physical line (see engine/src/line)
};

struct BufferSpec {
  int64_t capacity = -1;  // <0: unlimited
  Discipline discipline = Discipline::fifo;
};

struct FailureSpec {
  std::string name;
  FailureBasis basis = FailureBasis::calendar;
  Distribution time_to_failure;  // seconds (calendar, operating) or operations (count)
  Distribution repair;
  int pool = -1;  // worker pool needed to repair, -1: none
};

struct MaintenanceSpec {
  Tick interval = 0;  // 0: none
  Tick first = 0;
  Distribution duration;
  int pool = -1;
};

struct StationSpec {
  int capacity = 1;
  std::vector<Distribution> process;  // per part type
  std::vector<Distribution> setup;    // per part type (to switch to it)
  bool has_setup = false;
  int setup_pool = -1;
  double scrap = 0;
  int scrap_to = -1;  // node for scrapped parts, -1: removed from the system
  std::vector<FailureSpec> failures;
  MaintenanceSpec maintenance;
  int calendar = -1;
  std::array<double, kStateCount> power_kw{};
  // Assembly: (part type, count) consumed per operation; the first listed
  // part carries on as `produces`.
  std::vector<std::pair<int, int>> assemble;
  int produces = -1;  // part type after the operation, -1: unchanged
  int split = 1;      // parts out per part in
  bool place = false;  // `place:` finished parts go back onto the physical line
};

struct ConveyorSpec {
  double length = 1, speed = 1, spacing = 1;
  bool accumulating = true;
  int64_t capacity = 1;
  Tick transit = 0, gap = 0;
};

struct RouterSpec {
  RouteRule rule = RouteRule::round_robin;
  std::vector<int> targets;
  std::vector<double> cumulative;  // probability rule
  std::vector<int> by_type;        // part_type rule: target index per type
};

struct CalendarSpec {
  std::string name;
  Tick period = 0;
  std::vector<std::pair<Tick, Tick>> on;  // sorted, disjoint windows in [0, period)
  bool working_at(Tick t) const;
  Tick next_change(Tick t) const;  // the next tick > t where working_at changes
};

struct PoolSpec {
  std::string name;
  int count = 1;
};

struct NodeSpec {
  std::string name;
  NodeKind kind;
  int index;      // into the kind's spec array
  int next = -1;  // downstream node (not for routers and sinks)
};

struct Model {
  std::vector<PartTypeSpec> part_types;
  std::vector<NodeSpec> nodes;
  std::vector<SourceSpec> sources;
  std::vector<BufferSpec> buffers;
  std::vector<StationSpec> stations;
  std::vector<ConveyorSpec> conveyors;
  std::vector<RouterSpec> routers;
  std::vector<CalendarSpec> calendars;
  std::vector<PoolSpec> pools;
  Tick duration = 0;
  Tick warmup = 0;
  uint64_t seed = 0;
  int replications = 1;
  bool event_log = true;

  int find_node(const std::string& name) const;
};

inline Tick to_ticks(double seconds) {
  double t = seconds * double(kTicksPerSecond);
  return t <= 0 ? 0 : t >= 9.2e18 ? INT64_MAX / 2 : Tick(t + 0.5);
}
inline double to_seconds(Tick t) { return double(t) / double(kTicksPerSecond); }

// Compiles `process` (the scene's process: map). `duration` and `seed` are
// the scene's top-level values (process: may override duration). Throws
// InputError naming the line and column of every problem.
Model compile_model(const yaml::Source& src, const YAML::Node& process, double scene_duration, uint64_t scene_seed);

}  // namespace werk::process
