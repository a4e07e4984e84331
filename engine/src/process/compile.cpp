// Compiles the scene's `process:` section into a Model.
#include <algorithm>
#include <cmath>
#include <map>

#include "model.h"
#include "../werk_limits.h"

namespace werk::process {

const char* const kStateNames[kStateCount] = {"idle", "working", "setup", "blocked", "failed", "maintenance", "off_shift"};

int Model::find_node(const std::string& name) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == name) return int(i);
  return -1;
}

bool CalendarSpec::working_at(Tick t) const {
  Tick r = t % period;
  for (auto& w : on)
    if (r >= w.first && r < w.second) return true;
  return false;
}

Tick CalendarSpec::next_change(Tick t) const {
  Tick base = t - t % period, r = t % period;
  // Boundaries of every window, this period and the next.
  for (int k = 0; k < 2; ++k)
    for (auto& w : on) {
      for (Tick edge : {w.first, w.second}) {
        Tick abs = base + k * period + edge;
        if (abs > t && working_at(abs) != working_at(t)) return abs;
      }
    }
  (void)r;
  return INT64_MAX;
}

namespace {

using yaml::MapReader;
using yaml::Source;

// State shared while compiling: the source and the name tables.
struct Compiler {
  const Source& src;
  Model m;
  std::map<std::string, YAML::Node> node_yaml;  // where each object was declared

  int part_type(const YAML::Node& n, const std::string& what) {
    std::string name = yaml::as_string(src, n, what);
    for (size_t i = 0; i < m.part_types.size(); ++i)
      if (m.part_types[i].name == name) return int(i);
    yaml::fail(src, n, what + ": unknown part type '" + name + "' (declared: " + type_list() + ")");
  }
  std::string type_list() const {
    std::string s;
    for (auto& t : m.part_types) s += (s.empty() ? "" : ", ") + t.name;
    return s;
  }
  int pool(const YAML::Node& n, const std::string& what) {
    std::string name = yaml::as_string(src, n, what);
    for (size_t i = 0; i < m.pools.size(); ++i)
      if (m.pools[i].name == name) return int(i);
    yaml::fail(src, n, what + ": unknown worker pool '" + name + "' (declare it under process.workers)");
  }
  int node(const YAML::Node& n, const std::string& what) {
    std::string name = yaml::as_string(src, n, what);
    int i = m.find_node(name);
    if (i < 0) yaml::fail(src, n, what + ": unknown object '" + name + "'");
    if (m.nodes[i].kind == NodeKind::source) yaml::fail(src, n, what + ": '" + name + "' is a source and takes no parts");
    return i;
  }
};

// A time of day: seconds or "HH:MM[:SS]".
Tick read_clock(const Source& src, const YAML::Node& n, const std::string& what) {
  if (n.IsScalar() && n.Scalar().find(':') != std::string::npos) {
    int h = 0, mi = 0, s = 0;
    char extra;
    int got = std::sscanf(n.Scalar().c_str(), "%d:%d:%d%c", &h, &mi, &s, &extra);
    if (got < 2 || got > 3 || h < 0 || mi < 0 || mi > 59 || s < 0 || s > 59)
      yaml::fail(src, n, what + ": expected seconds or a clock time \"HH:MM\", found '" + n.Scalar() + "'");
    return to_ticks(h * 3600.0 + mi * 60.0 + s);
  }
  double v = yaml::as_number(src, n, what);
  if (v < 0) yaml::fail(src, n, what + ": expected a time >= 0, found " + n.Scalar());
  return to_ticks(v);
}

// A list of [from, to] clock windows.
std::vector<std::pair<Tick, Tick>> read_windows(const Source& src, const YAML::Node& n, const std::string& what,
                                                Tick period) {
  std::vector<std::pair<Tick, Tick>> out;
  if (!n) return out;
  if (!n.IsSequence()) yaml::fail(src, n, what + ": expected a list of [from, to] pairs, found " + yaml::describe(n));
  for (size_t i = 0; i < n.size(); ++i) {
    std::string w = what + "[" + std::to_string(i) + "]";
    if (!n[i].IsSequence() || n[i].size() != 2)
      yaml::fail(src, n[i], w + ": expected [from, to], found " + yaml::describe(n[i]));
    Tick a = read_clock(src, n[i][0], w), b = read_clock(src, n[i][1], w);
    if (a > period || b > period) yaml::fail(src, n[i], w + ": expected times within the calendar period");
    // A window that wraps past the period's end splits in two.
    if (b > a) out.push_back({a, b});
    else if (b < a) out.push_back({a, period}), out.push_back({0, b});
    else yaml::fail(src, n[i], w + ": expected from != to");
  }
  return out;
}

// Shifts minus breaks, as sorted disjoint windows.
std::vector<std::pair<Tick, Tick>> subtract(std::vector<std::pair<Tick, Tick>> on,
                                            const std::vector<std::pair<Tick, Tick>>& off) {
  std::sort(on.begin(), on.end());
  std::vector<std::pair<Tick, Tick>> merged;
  for (auto& w : on) {
    if (!merged.empty() && w.first <= merged.back().second) merged.back().second = std::max(merged.back().second, w.second);
    else merged.push_back(w);
  }
  for (auto& b : off) {
    std::vector<std::pair<Tick, Tick>> next;
    for (auto& w : merged) {
      if (b.second <= w.first || b.first >= w.second) { next.push_back(w); continue; }
      if (w.first < b.first) next.push_back({w.first, b.first});
      if (b.second < w.second) next.push_back({b.second, w.second});
    }
    merged = next;
  }
  return merged;
}

void read_calendars(Compiler& c, const YAML::Node& n) {
  if (!n) return;
  if (!n.IsMap()) yaml::fail(c.src, n, "process.calendars: expected a map of calendars, found " + yaml::describe(n));
  for (auto it = n.begin(); it != n.end(); ++it) {
    CalendarSpec cal;
    cal.name = it->first.Scalar();
    MapReader r(c.src, it->second, "process.calendars." + cal.name);
    cal.period = to_ticks(r.positive("period", 86400.0));
    auto shifts = read_windows(c.src, r.required("shifts"), r.path("shifts"), cal.period);
    auto breaks = read_windows(c.src, r.optional("breaks"), r.path("breaks"), cal.period);
    cal.on = subtract(shifts, breaks);
    if (cal.on.empty()) yaml::fail(c.src, it->second, r.path("") + " has no working time left after breaks");
    r.finish();
    c.m.calendars.push_back(cal);
  }
}

void read_part_types(Compiler& c, const YAML::Node& n) {
  if (!n) {
    c.m.part_types.push_back({"part", 0});
    return;
  }
  if (!n.IsMap() || n.size() == 0)
    yaml::fail(c.src, n, "process.part_types: expected a map of part types {name: {priority: p}}, found " + yaml::describe(n));
  for (auto it = n.begin(); it != n.end(); ++it) {
    PartTypeSpec t;
    t.name = yaml::as_string(c.src, it->first, "process.part_types");
    for (auto& o : c.m.part_types)
      if (o.name == t.name) yaml::fail(c.src, it->first, "process.part_types: duplicate part type '" + t.name + "'");
    if (!it->second.IsNull()) {
      MapReader r(c.src, it->second, "process.part_types." + t.name);
      t.priority = int(r.integer("priority", 0));
      r.finish();
    }
    c.m.part_types.push_back(t);
  }
}

void read_pools(Compiler& c, const YAML::Node& n) {
  if (!n) return;
  if (!n.IsMap()) yaml::fail(c.src, n, "process.workers: expected a map {pool: {count: n}}, found " + yaml::describe(n));
  for (auto it = n.begin(); it != n.end(); ++it) {
    PoolSpec p;
    p.name = it->first.Scalar();
    MapReader r(c.src, it->second, "process.workers." + p.name);
    int64_t count = r.integer("count", 1);
    if (count < 1 || count > 100000) yaml::fail(c.src, r.required("count"), r.path("count") + ": expected an integer in [1, 100000]");
    p.count = int(count);
    r.finish();
    c.m.pools.push_back(p);
  }
}

// A per-part-type table of distributions: one for all types, or a map
// under `<key>_by_type` naming every type.
std::vector<Distribution> read_by_type(Compiler& c, MapReader& r, const std::string& key, bool required, bool* present) {
  size_t nt = c.m.part_types.size();
  std::vector<Distribution> out(nt, Distribution::constant(0));
  YAML::Node all = r.optional(key), by = r.optional(key + "_by_type");
  if (present) *present = all || by;
  if (all && by) yaml::fail(c.src, by, r.path(key + "_by_type") + ": give either " + key + " or " + key + "_by_type, not both");
  if (all) {
    Distribution d = read_distribution(c.src, all, r.path(key));
    out.assign(nt, d);
  } else if (by) {
    if (!by.IsMap()) yaml::fail(c.src, by, r.path(key + "_by_type") + ": expected a map {part_type: distribution}, found " + yaml::describe(by));
    std::vector<bool> seen(nt, false);
    for (auto it = by.begin(); it != by.end(); ++it) {
      int t = c.part_type(it->first, r.path(key + "_by_type"));
      out[t] = read_distribution(c.src, it->second, r.path(key + "_by_type." + c.m.part_types[t].name));
      seen[t] = true;
    }
    for (size_t t = 0; t < nt; ++t)
      if (!seen[t] && required) yaml::fail(c.src, by, r.path(key + "_by_type") + ": missing part type '" + c.m.part_types[t].name + "'");
  } else if (required) {
    r.required(key);
  }
  return out;
}

void read_failures(Compiler& c, MapReader& r, StationSpec& s) {
  YAML::Node n = r.optional("failures");
  if (!n) return;
  if (!n.IsSequence()) yaml::fail(c.src, n, r.path("failures") + ": expected a list of failure modes, found " + yaml::describe(n));
  for (size_t i = 0; i < n.size(); ++i) {
    MapReader f(c.src, n[i], r.path("failures[" + std::to_string(i) + "]"));
    FailureSpec fs;
    fs.name = f.string("name", "failure" + std::to_string(i + 1));
    // The name keys the mode's random streams, so it must be unique.
    for (const FailureSpec& other : s.failures)
      if (other.name == fs.name)
        yaml::fail(c.src, f.optional("name") ? f.optional("name") : n[i], f.path("name") + ": a second failure mode named '" + fs.name + "' (expected unique names)");
    std::string basis = f.choice("basis", {"calendar", "operating", "count"}, std::string("calendar"));
    fs.basis = basis == "calendar" ? FailureBasis::calendar : basis == "operating" ? FailureBasis::operating : FailureBasis::count;
    fs.time_to_failure = read_distribution(c.src, f.required(fs.basis == FailureBasis::count ? "operations" : "mtbf"),
                                           f.path(fs.basis == FailureBasis::count ? "operations" : "mtbf"));
    if (!(fs.time_to_failure.mean() > 0)) yaml::fail(c.src, n[i], f.path("") + ": expected a time between failures with a positive mean");
    fs.repair = read_distribution(c.src, f.required("mttr"), f.path("mttr"));
    if (YAML::Node w = f.optional("worker")) fs.pool = c.pool(w, f.path("worker"));
    f.finish();
    s.failures.push_back(fs);
  }
}

void read_maintenance(Compiler& c, MapReader& r, StationSpec& s) {
  YAML::Node n = r.optional("maintenance");
  if (!n) return;
  MapReader mr(c.src, n, r.path("maintenance"));
  s.maintenance.interval = to_ticks(mr.positive("interval"));
  s.maintenance.first = to_ticks(mr.non_negative("first", to_seconds(s.maintenance.interval)));
  s.maintenance.duration = read_distribution(c.src, mr.required("duration"), mr.path("duration"));
  if (YAML::Node w = mr.optional("worker")) s.maintenance.pool = c.pool(w, mr.path("worker"));
  mr.finish();
}

void read_power(Compiler& c, MapReader& r, StationSpec& s) {
  YAML::Node n = r.optional("power_kw");
  if (!n) return;
  MapReader pr(c.src, n, r.path("power_kw"));
  for (int k = 0; k < kStateCount; ++k) s.power_kw[k] = pr.non_negative(kStateNames[k], 0.0);
  pr.finish();
}

void read_station(Compiler& c, MapReader& r, const std::string& type, StationSpec& s) {
  int64_t cap = r.integer("capacity", 1);
  if (cap < 1 || cap > 4095) yaml::fail(c.src, r.required("capacity"), r.path("capacity") + ": expected an integer in [1, 4095], found " + std::to_string(cap));
  s.capacity = int(cap);
  s.process = read_by_type(c, r, "process_time", type != "split", nullptr);
  s.setup = read_by_type(c, r, "setup_time", false, &s.has_setup);
  if (YAML::Node w = r.optional("setup_worker")) s.setup_pool = c.pool(w, r.path("setup_worker"));
  s.scrap = r.in_range("scrap", 0.0, 1.0, 0.0);
  read_failures(c, r, s);
  read_maintenance(c, r, s);
  if (YAML::Node cal = r.optional("calendar")) {
    std::string name = yaml::as_string(c.src, cal, r.path("calendar"));
    for (size_t i = 0; i < c.m.calendars.size(); ++i)
      if (c.m.calendars[i].name == name) s.calendar = int(i);
    if (s.calendar < 0) yaml::fail(c.src, cal, r.path("calendar") + ": unknown calendar '" + name + "'");
  }
  read_power(c, r, s);
  // Physical take and place are compiled with the line (engine/src/line).
  r.optional("take");
  r.optional("take_when");
  s.place = bool(r.optional("place"));
  if (YAML::Node p = r.optional("produces")) s.produces = c.part_type(p, r.path("produces"));
  if (type == "assembly") {
    YAML::Node parts = r.required("parts");
    if (!parts.IsMap() || parts.size() == 0)
      yaml::fail(c.src, parts, r.path("parts") + ": expected a map {part_type: count}, found " + yaml::describe(parts));
    for (auto it = parts.begin(); it != parts.end(); ++it) {
      int t = c.part_type(it->first, r.path("parts"));
      int64_t k = yaml::as_integer(c.src, it->second, r.path("parts." + c.m.part_types[t].name));
      if (k < 1 || k > 1000) yaml::fail(c.src, it->second, r.path("parts") + ": expected counts in [1, 1000]");
      s.assemble.push_back({t, int(k)});
    }
    if (s.capacity != 1) yaml::fail(c.src, r.required("capacity"), r.path("capacity") + ": an assembly has capacity 1");
  }
  if (type == "split") {
    int64_t k = r.integer("count", 2);
    if (k < 1 || k > 100000) yaml::fail(c.src, r.required("count"), r.path("count") + ": expected an integer in [1, 100000]");
    s.split = int(k);
  }
}

void read_source(Compiler& c, MapReader& r, SourceSpec& s) {
  YAML::Node table = r.optional("arrivals");
  if (table) {
    if (!table.IsSequence() || table.size() == 0)
      yaml::fail(c.src, table, r.path("arrivals") + ": expected a list of {time, type, count}, found " + yaml::describe(table));
    for (size_t i = 0; i < table.size(); ++i) {
      MapReader a(c.src, table[i], r.path("arrivals[" + std::to_string(i) + "]"));
      ArrivalRow row{to_ticks(a.non_negative("time")), 0, int(a.integer("count", 1))};
      if (YAML::Node t = a.optional("type")) row.type = c.part_type(t, a.path("type"));
      if (row.count < 1) yaml::fail(c.src, table[i], a.path("count") + ": expected an integer >= 1");
      if (!s.table.empty() && row.tick < s.table.back().tick) yaml::fail(c.src, table[i], a.path("time") + ": expected times in increasing order");
      a.finish();
      s.table.push_back(row);
    }
  } else {
    s.interarrival = read_distribution(c.src, r.required("interarrival"), r.path("interarrival"));
  }
  YAML::Node mix = r.optional("mix"), type = r.optional("part_type");
  if (mix && type) yaml::fail(c.src, mix, r.path("mix") + ": give either part_type or mix, not both");
  if (mix) {
    if (!mix.IsMap()) yaml::fail(c.src, mix, r.path("mix") + ": expected a map {part_type: weight}, found " + yaml::describe(mix));
    double total = 0;
    for (auto it = mix.begin(); it != mix.end(); ++it) {
      s.mix_types.push_back(c.part_type(it->first, r.path("mix")));
      double w = yaml::as_number(c.src, it->second, r.path("mix." + it->first.Scalar()));
      if (w < 0) yaml::fail(c.src, it->second, r.path("mix") + ": expected weights >= 0");
      s.mix_cumulative.push_back(total += w);
    }
    if (!(total > 0)) yaml::fail(c.src, mix, r.path("mix") + ": expected a positive total weight");
    for (double& x : s.mix_cumulative) x /= total;
  } else {
    s.mix_types.push_back(type ? c.part_type(type, r.path("part_type")) : 0);
    s.mix_cumulative.push_back(1.0);
  }
  s.batch = int(r.integer("batch", 1));
  if (s.batch < 1) yaml::fail(c.src, r.required("batch"), r.path("batch") + ": expected an integer >= 1");
  s.lose_when_blocked = r.choice("when_blocked", {"block", "lose"}, std::string("block")) == "lose";
  s.limit = r.integer("limit", -1);
  s.start = to_ticks(r.non_negative("start", 0.0));
  // Its content is compiled with the physical line (engine/src/line).
  s.spawn = bool(r.optional("spawn"));
}

void read_conveyor(MapReader& r, ConveyorSpec& s) {
  s.length = r.positive("length");
  s.speed = r.positive("speed");
  s.spacing = r.positive("spacing", 1.0);
  s.accumulating = r.boolean("accumulating", true);
  s.capacity = std::max<int64_t>(1, int64_t(std::floor(s.length / s.spacing + 1e-9)));
  s.transit = to_ticks(s.length / s.speed);
  s.gap = to_ticks(s.spacing / s.speed);
}

// Routers name their targets in `to`: a list, or a map of weights
// (probability) or of part types (part_type).
void read_router(Compiler& c, MapReader& r, RouterSpec& s) {
  std::string rule = r.choice("rule", {"probability", "round_robin", "shortest_queue", "part_type"});
  s.rule = rule == "probability" ? RouteRule::probability : rule == "round_robin" ? RouteRule::round_robin
           : rule == "shortest_queue" ? RouteRule::shortest_queue : RouteRule::part_type;
  YAML::Node to = r.required("to");
  if (s.rule == RouteRule::probability || s.rule == RouteRule::part_type) {
    if (!to.IsMap() || to.size() == 0)
      yaml::fail(c.src, to, r.path("to") + (s.rule == RouteRule::probability ? ": expected a map {target: probability}" : ": expected a map {part_type: target}") + ", found " + yaml::describe(to));
  } else if (!to.IsSequence() || to.size() == 0) {
    yaml::fail(c.src, to, r.path("to") + ": expected a list of targets, found " + yaml::describe(to));
  }
  if (s.rule == RouteRule::part_type) {
    s.by_type.assign(c.m.part_types.size(), -1);
    for (auto it = to.begin(); it != to.end(); ++it) {
      int t = c.part_type(it->first, r.path("to"));
      int target = c.node(it->second, r.path("to." + c.m.part_types[t].name));
      s.by_type[t] = int(s.targets.size());
      s.targets.push_back(target);
    }
    for (size_t t = 0; t < s.by_type.size(); ++t)
      if (s.by_type[t] < 0) yaml::fail(c.src, to, r.path("to") + ": no target for part type '" + c.m.part_types[t].name + "'");
    return;
  }
  double total = 0;
  for (auto it = to.begin(); it != to.end(); ++it) {
    if (s.rule == RouteRule::probability) {
      s.targets.push_back(c.node(it->first, r.path("to")));
      double p = yaml::as_number(c.src, it->second, r.path("to." + it->first.Scalar()));
      if (p < 0) yaml::fail(c.src, it->second, r.path("to") + ": expected probabilities >= 0");
      s.cumulative.push_back(total += p);
    } else {
      s.targets.push_back(c.node(*it, r.path("to")));
    }
  }
  if (s.rule == RouteRule::probability) {
    if (std::abs(total - 1.0) > 1e-6) yaml::fail(c.src, to, r.path("to") + ": expected probabilities that sum to 1, found a sum of " + format_number(total));
    s.cumulative.back() = 1.0;
  }
}

const std::vector<std::string> kTypes = {"source", "buffer", "station", "assembly", "split", "conveyor", "router", "sink"};

// First pass: names and kinds, so `to:` may point forward.
void declare_objects(Compiler& c, const YAML::Node& objects) {
  if (!objects || !objects.IsMap() || objects.size() == 0)
    yaml::fail(c.src, objects, "process.objects: expected a map of objects {name: {type: ...}}, found " + yaml::describe(objects));
  for (auto it = objects.begin(); it != objects.end(); ++it) {
    std::string name = yaml::as_string(c.src, it->first, "process.objects");
    if (c.m.find_node(name) >= 0) yaml::fail(c.src, it->first, "process.objects: duplicate object '" + name + "'");
    if (!it->second.IsMap()) yaml::fail(c.src, it->second, "process.objects." + name + ": expected a map, found " + yaml::describe(it->second));
    YAML::Node t = it->second["type"];
    if (!t) yaml::fail(c.src, it->second, "process.objects." + name + ": missing required key 'type'");
    std::string type = yaml::as_string(c.src, t, "process.objects." + name + ".type");
    if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end())
      yaml::fail(c.src, t, "process.objects." + name + ".type: expected one of source, buffer, station, assembly, split, conveyor, router, sink, found '" + type + "'");
    NodeKind kind = type == "source" ? NodeKind::source : type == "buffer" ? NodeKind::buffer
                    : type == "conveyor" ? NodeKind::conveyor : type == "router" ? NodeKind::router
                    : type == "sink" ? NodeKind::sink : NodeKind::station;
    c.m.nodes.push_back({name, kind, 0, -1});
    c.node_yaml[name] = it->second;
  }
}

// Second pass: each object's own keys.
void define_object(Compiler& c, NodeSpec& n, const YAML::Node& y) {
  MapReader r(c.src, y, "process.objects." + n.name);
  std::string type = r.string("type");
  switch (n.kind) {
    case NodeKind::source: n.index = int(c.m.sources.size()); c.m.sources.emplace_back(); read_source(c, r, c.m.sources.back()); break;
    case NodeKind::buffer: {
      n.index = int(c.m.buffers.size());
      BufferSpec b;
      b.capacity = r.integer("capacity", -1);
      if (b.capacity == 0 || b.capacity < -1) yaml::fail(c.src, r.required("capacity"), r.path("capacity") + ": expected an integer >= 1 (omit it for unlimited)");
      std::string d = r.choice("discipline", {"fifo", "lifo", "priority"}, std::string("fifo"));
      b.discipline = d == "fifo" ? Discipline::fifo : d == "lifo" ? Discipline::lifo : Discipline::priority;
      c.m.buffers.push_back(b);
      break;
    }
    case NodeKind::station: n.index = int(c.m.stations.size()); c.m.stations.emplace_back(); read_station(c, r, type, c.m.stations.back()); break;
    case NodeKind::conveyor: n.index = int(c.m.conveyors.size()); c.m.conveyors.emplace_back(); read_conveyor(r, c.m.conveyors.back()); break;
    case NodeKind::router: n.index = int(c.m.routers.size()); c.m.routers.emplace_back(); read_router(c, r, c.m.routers.back()); break;
    case NodeKind::sink: n.index = 0; r.optional("zone"); break;
  }
  // A spawning source or a placing station hands its parts to the physical
  // line: `to` is then optional (where the parts go physically).
  const bool physical_out = (n.kind == NodeKind::source && c.m.sources[n.index].spawn) ||
                            (n.kind == NodeKind::station && c.m.stations[n.index].place);
  if (n.kind != NodeKind::router && n.kind != NodeKind::sink && (!physical_out || r.has("to")))
    n.next = c.node(r.required("to"), r.path("to"));
  if (n.kind == NodeKind::station) {
    if (YAML::Node s = r.optional("scrap_to")) c.m.stations[n.index].scrap_to = c.node(s, r.path("scrap_to"));
  }
  r.finish();
}

}  // namespace

Model compile_model(const yaml::Source& src, const YAML::Node& process, double scene_duration, uint64_t scene_seed) {
  Compiler c{src, {}, {}};
  MapReader r(src, process, "process");
  double duration = r.positive("duration", scene_duration > 0 ? std::optional<double>(scene_duration) : std::nullopt);
  c.m.duration = to_ticks(duration);
  c.m.warmup = to_ticks(r.non_negative("warmup", 0.0));
  if (c.m.warmup >= c.m.duration) yaml::fail(src, r.required("warmup"), "process.warmup: expected less than the duration (" + format_number(duration) + " s)");
  c.m.seed = scene_seed;
  const int64_t replications = r.integer("replications", 1);
  if (replications < 1 || replications > limits::kReplications)
    yaml::fail(src, r.required("replications"),
               "process.replications: expected an integer in [1, " + std::to_string(limits::kReplications) + "], found " +
                   std::to_string(replications));
  c.m.replications = int(replications);
  c.m.event_log = r.boolean("event_log", true);
  read_part_types(c, r.optional("part_types"));
  read_pools(c, r.optional("workers"));
  read_calendars(c, r.optional("calendars"));
  YAML::Node objects = r.required("objects");
  if (int64_t(objects.size()) > limits::kProcessObjects)
    yaml::fail(src, objects, "process.objects: expected at most " + std::to_string(limits::kProcessObjects) +
                                 " objects, found " + std::to_string(objects.size()));
  declare_objects(c, objects);
  for (auto& n : c.m.nodes) define_object(c, n, c.node_yaml[n.name]);
  r.finish();
  if (c.m.sources.empty()) yaml::fail(src, objects, "process.objects: expected at least one source");
  return c.m;
}

}  // namespace werk::process
