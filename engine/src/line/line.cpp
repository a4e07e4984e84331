// Physical production lines (see line.h and docs/physical-lines.md).
#include "line.h"

#include <hdf5.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <cmath>
#include <deque>
#include <iomanip>
#include <limits>
#include <ostream>

#include "werk/error.h"
#include "../h5_common.h"
#include "../../kernels/geometry.h"
#include "../process/archive.h"
#include "../process/simulator.h"

namespace werk::line {

namespace {

using yaml::MapReader;
using yaml::Source;

// (A missing key gives an invalid node, which only IsDefined() may be asked.)
bool has_key(const YAML::Node& map, const char* key) { return map.IsDefined() && map.IsMap() && map[key].IsDefined(); }
bool is_seq(const YAML::Node& n) { return n.IsDefined() && n.IsSequence(); }
bool is_map(const YAML::Node& n) { return n.IsDefined() && n.IsMap(); }

}  // namespace

bool is_line(const YAML::Node& root) {
  if (!is_map(root)) return false;
  if (root["sensors"].IsDefined()) return true;
  if (is_seq(root["conveyors"]))
    for (const auto& c : root["conveyors"])
      if (has_key(c, "stop_when") || has_key(c, "acceleration")) return true;
  const YAML::Node p = root["process"];
  if (is_map(p) && is_map(p["objects"]))
    for (auto it = p["objects"].begin(); it != p["objects"].end(); ++it)
      for (const char* k : {"spawn", "take", "place", "zone"})
        if (has_key(it->second, k)) return true;
  return false;
}

namespace {

int sensor_index(const Source& src, const LineSpec& l, const YAML::Node& n, const std::string& what, bool zone_only) {
  const std::string name = yaml::as_string(src, n, what);
  for (size_t i = 0; i < l.sensors.size(); ++i)
    if (l.sensors[i].name == name) {
      if (zone_only && l.sensors[i].kind != SensorKind::zone)
        yaml::fail(src, n, what + ": expected a zone, found the photo-eye '" + name + "'");
      return int(i);
    }
  std::string known;
  for (auto& s : l.sensors) known += (known.empty() ? "" : ", ") + s.name;
  yaml::fail(src, n, what + ": expected a sensor defined under sensors:, found unknown '" + name + "'" +
                         (known.empty() ? " (the scene has no sensors)" : " (sensors: " + known + ")"));
}

int pool_of(const Source& src, const Model& m, const YAML::Node& n, const std::string& what) {
  const std::string name = yaml::as_string(src, n, what);
  const int p = m.pool_index(name);
  if (p < 0) {
    std::string known;
    for (auto& s : m.pool_name) known += (known.empty() ? "" : ", ") + s;
    yaml::fail(src, n, what + ": expected a part template with a pool (parts." + name + ".pool), found '" + name + "'" +
                           (known.empty() ? " (no part template has a pool)" : " (pools: " + known + ")"));
  }
  return p;
}

Spot read_spot(const Source& src, const YAML::Node& n, const std::string& what, const Model& m, bool part_key) {
  MapReader r(src, n, what);
  Spot s;
  if (part_key)
    if (YAML::Node p = r.optional("part")) s.pool = pool_of(src, m, p, r.path("part"));
  s.position = r.vec3("at");
  s.rotation = r.rotation("rotation", Quat{1, 0, 0, 0});
  s.velocity = r.vec3("velocity", Vec3{0, 0, 0});
  r.finish();
  return s;
}

void read_sensors(const Source& src, const YAML::Node& root, LineSpec& l) {
  const YAML::Node n = root["sensors"];
  if (!n) return;
  if (!n.IsMap()) yaml::fail(src, n, "sensors: expected a map of sensors {name: {type: photo_eye | zone, ...}}, found " + yaml::describe(n));
  for (auto it = n.begin(); it != n.end(); ++it) {
    SensorSpec s;
    s.name = yaml::as_string(src, it->first, "sensors");
    for (auto& o : l.sensors)
      if (o.name == s.name) yaml::fail(src, it->first, "sensors: expected unique names, found '" + s.name + "' twice");
    MapReader r(src, it->second, "sensors." + s.name);
    const std::string type = r.choice("type", {"photo_eye", "zone"});
    if (type == "photo_eye") {
      s.kind = SensorKind::photo_eye;
      s.from = r.vec3("from");
      s.to = r.vec3("to");
      if (length(s.to - s.from) <= 0) yaml::fail(src, r.required("to"), r.path("to") + ": expected a beam of positive length (to != from)");
    } else {
      s.kind = SensorKind::zone;
      s.position = r.vec3("position");
      s.rotation = r.rotation("rotation", Quat{1, 0, 0, 0});
      const Vec3 size = r.vec3("size");
      if (!(size.x > 0 && size.y > 0 && size.z > 0))
        yaml::fail(src, r.required("size"), r.path("size") + ": expected three positive extents (m)");
      s.half = 0.5f * size;
      s.capacity = r.integer("capacity", -1);
      if (s.capacity == 0 || s.capacity < -1)
        yaml::fail(src, r.required("capacity"), r.path("capacity") + ": expected an integer >= 1 (omit it for none)");
    }
    r.finish();
    l.sensors.push_back(s);
  }
}

RuleSpec read_rule(const Source& src, const YAML::Node& n, const std::string& what, const LineSpec& l,
                   const process::Model* pm) {
  MapReader r(src, n, what);
  RuleSpec rule;
  YAML::Node sensor = r.optional("sensor"), station = r.optional("station");
  if (bool(sensor) == bool(station)) yaml::fail(src, n, what + ": expected either 'sensor' or 'station'");
  if (sensor) {
    rule.sensor = sensor_index(src, l, sensor, r.path("sensor"), false);
    const bool eye = l.sensors[rule.sensor].kind == SensorKind::photo_eye;
    const std::string st = eye ? r.choice("state", {"blocked", "cleared"}) : r.choice("state", {"occupied", "empty", "full"});
    rule.watch = st == "blocked" ? Watch::blocked : st == "cleared" ? Watch::cleared : st == "occupied" ? Watch::occupied
                 : st == "empty" ? Watch::empty : Watch::full;
    if (rule.watch == Watch::full && l.sensors[rule.sensor].capacity < 0)
      yaml::fail(src, r.required("state"), r.path("state") + ": zone '" + l.sensors[rule.sensor].name + "' has no capacity, so it is never full");
  } else {
    if (!pm) yaml::fail(src, station, r.path("station") + ": expected a process station, found a scene without process:");
    const std::string name = yaml::as_string(src, station, r.path("station"));
    rule.station = pm->find_node(name);
    if (rule.station < 0 || pm->nodes[rule.station].kind != process::NodeKind::station)
      yaml::fail(src, station, r.path("station") + ": expected a process station, found '" + name + "'");
    rule.watch = Watch::station;
    std::vector<std::string> names(process::kStateNames, process::kStateNames + process::kStateCount);
    const std::string st = r.choice("state", names);
    rule.station_state = int(std::find(names.begin(), names.end(), st) - names.begin());
  }
  rule.delay = r.non_negative("delay", 0.0);
  r.finish();
  return rule;
}

void read_belts(const Source& src, const YAML::Node& root, const Model& m, LineSpec& l, const process::Model* pm) {
  const YAML::Node list = root["conveyors"];
  if (!is_seq(list)) return;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node c = list[i];
    if (!has_key(c, "stop_when") && !has_key(c, "acceleration")) continue;
    const std::string what = "conveyors[" + std::to_string(i) + "]";
    BeltSpec b;
    b.conveyor = m.conveyor(c["name"].Scalar()).index;
    if (const YAML::Node a = c["acceleration"]) {
      b.acceleration = yaml::as_number(src, a, what + ".acceleration");
      if (!(b.acceleration > 0)) yaml::fail(src, a, what + ".acceleration: expected a positive acceleration (m/s^2)");
    }
    if (const YAML::Node s = c["stop_when"]) {
      if (s.IsSequence()) {
        if (s.size() == 0) yaml::fail(src, s, what + ".stop_when: expected a rule or a non-empty list of rules");
        for (size_t k = 0; k < s.size(); ++k)
          b.rules.push_back(read_rule(src, s[k], what + ".stop_when[" + std::to_string(k) + "]", l, pm));
      } else {
        b.rules.push_back(read_rule(src, s, what + ".stop_when", l, pm));
      }
    }
    l.belts.push_back(b);
  }
}

}  // namespace

LineSpec compile_line(const Source& src, const YAML::Node& root, const Model& m, const process::Model* pm) {
  LineSpec l;
  read_sensors(src, root, l);
  read_belts(src, root, m, l, pm);
  if (!pm) return l;
  const size_t nn = pm->nodes.size();
  l.spawns.assign(nn, 0), l.places.assign(nn, 0);
  l.spawn.resize(nn), l.place.resize(nn);
  l.take_zone.assign(nn, -1), l.take_on_enter.assign(nn, 0), l.sink_zone.assign(nn, -1);
  for (auto& t : pm->part_types) l.type_pool.push_back(m.pool_index(t.name));
  const YAML::Node objects = root["process"]["objects"];
  auto type_needs_pool = [&](int type, const YAML::Node& at, const std::string& what) {
    if (l.type_pool[type] < 0)
      yaml::fail(src, at, what + ": parts of type '" + pm->part_types[type].name +
                              "' need a part template of that name with a pool (parts." + pm->part_types[type].name + ".pool)");
  };
  for (size_t i = 0; i < nn; ++i) {
    const process::NodeSpec& n = pm->nodes[i];
    const YAML::Node y = objects[n.name];
    const std::string what = "process.objects." + n.name;
    if (const YAML::Node s = y["spawn"]) {
      l.spawns[i] = 1;
      l.spawn[i] = read_spot(src, s, what + ".spawn", m, true);
      if (l.spawn[i].pool < 0)
        for (int t : pm->sources[n.index].mix_types) type_needs_pool(t, s, what + ".spawn");
    }
    if (const YAML::Node p = y["place"]) {
      l.places[i] = 1;
      l.place[i] = read_spot(src, p, what + ".place", m, false);
      const process::StationSpec& st = pm->stations[n.index];
      if (st.produces >= 0) type_needs_pool(st.produces, p, what + ".place");
    }
    if (const YAML::Node t = y["take"]) l.take_zone[i] = sensor_index(src, l, t, what + ".take", true);
    if (const YAML::Node t = y["take_when"]) {
      if (!y["take"]) yaml::fail(src, t, what + ".take_when: expected it beside take:");
      const std::string v = yaml::as_string(src, t, what + ".take_when");
      if (v != "rest" && v != "enter") yaml::fail(src, t, what + ".take_when: expected one of rest, enter, found '" + v + "'");
      l.take_on_enter[i] = v == "enter";
    }
    if (const YAML::Node z = y["zone"]) l.sink_zone[i] = sensor_index(src, l, z, what + ".zone", true);
    if (y["take"] && n.kind != process::NodeKind::station)
      yaml::fail(src, y["take"], what + ".take: expected on a station, found on another kind of object");
  }
  return l;
}

namespace {

constexpr float kRestSpeed = 0.05f;   // m/s: a part slower than this has come to rest (take_when: rest)
constexpr float kBeltReach = 0.25f;   // m above a belt's top within which a part's centre counts as on it

// A box in its own frame (a shape's or a zone's): does the segment a-b
// (in that frame) cross it? Slab test.
bool segment_hits_box(Vec3 a, Vec3 b, Vec3 lo, Vec3 hi) {
  float t0 = 0, t1 = 1;
  const Vec3 d = b - a;
  for (int k = 0; k < 3; ++k) {
    const float ak = comp(a, k), dk = comp(d, k), lk = comp(lo, k), hk = comp(hi, k);
    if (std::fabs(dk) < 1e-12f) {
      if (ak < lk || ak > hk) return false;
      continue;
    }
    float u = (lk - ak) / dk, v = (hk - ak) / dk;
    if (u > v) std::swap(u, v);
    t0 = std::max(t0, u), t1 = std::min(t1, v);
    if (t0 > t1) return false;
  }
  return true;
}

// Distance from p to the segment a-b.
float segment_distance(Vec3 p, Vec3 a, Vec3 b) {
  const Vec3 d = b - a;
  const float t = clampf(dot(p - a, d) / dot(d, d), 0.0f, 1.0f);
  return length(p - (a + t * d));
}

}  // namespace

struct LineRun::Impl {
  Simulation& sim;
  const Model& m;
  const process::Model* pm;
  LineSpec l;
  int nworld;
  double dt;
  // Bodies: pool of each body (-1: none), bounding radius, shape boxes in their own frames.
  std::vector<int> body_pool;
  std::vector<float> body_radius;
  std::vector<Vec3> shape_lo, shape_hi;
  std::vector<int> dynamic_bodies;
  // Belt footprints: shapes of each conveyor, their world frames (belts are
  // static) and a world box around each conveyor's footprint.
  std::vector<std::vector<int>> conveyor_shapes;
  std::vector<Transform> shape_world;
  std::vector<Aabb> conveyor_box;
  std::vector<Aabb> zone_box;  // per sensor: a world box around a zone (empty for eyes)

  struct World {
    std::unique_ptr<process::Simulator> proc;
    std::vector<int32_t> part_body;    // process part slot -> body, -1
    std::vector<int32_t> body_part;    // body -> process part slot, -1
    std::vector<std::deque<int32_t>> free_bodies;  // per pool, first used first
    std::vector<PoolCount> counts;     // per pool (active is computed)
    std::vector<int64_t> sensor_value, sensor_events, sensor_max;
    std::vector<double> sensor_area;   // time integral of the value
    std::vector<std::vector<int64_t>> inside;  // per zone sensor, per body: step it entered, -1 outside
    std::vector<float> belt_speed;     // current commanded speed per belt rule entry
    std::vector<std::vector<double>> rule_since;  // per belt, per rule: time the condition began, -1
    std::vector<double> belt_clear_since;
    std::vector<double> belt_stopped;  // seconds stopped per conveyor
    std::vector<int64_t> belt_carried;
    std::vector<std::vector<uint8_t>> on_belt;  // per conveyor, per body
    int64_t parts_spawned = 0;
  };
  std::vector<World> worlds;
  std::vector<std::vector<Change>> series;  // world 0, per sensor
  std::vector<SensorEvent> log;
  int64_t step_count = 0;
  bool finished = false;

  Impl(Simulation& s, const process::Model* model, LineSpec spec, uint64_t seed, process::Trace* trace,
       const std::string* resume)
      : sim(s), m(s.model()), pm(model), l(std::move(spec)), nworld(s.nworld()), dt(s.model().dt) {
    const int nb = m.nbody();
    body_pool.assign(size_t(nb), -1);
    for (int p = 0; p < m.npool(); ++p)
      for (int k = 0; k < m.pool_count[p]; ++k) body_pool[size_t(m.pool_first_body[p] + k)] = p;
    const GeometryView g = geometry_view(m);
    body_radius.assign(size_t(nb), 0.0f);
    shape_lo.resize(size_t(m.nshape())), shape_hi.resize(size_t(m.nshape()));
    for (int sh = 0; sh < m.nshape(); ++sh) {
      const Aabb own = shape_aabb(g, sh, Transform{Vec3{0, 0, 0}, Quat{1, 0, 0, 0}});
      shape_lo[size_t(sh)] = own.lo, shape_hi[size_t(sh)] = own.hi;
    }
    for (int b = 0; b < nb; ++b) {
      if (m.body_kind[b] != BodyKind::Dynamic) continue;
      dynamic_bodies.push_back(b);
      float r = 0;
      for (int sh = m.body_shape_begin[b]; sh < m.body_shape_begin[b] + m.body_shape_count[b]; ++sh) {
        const Aabb box = shape_aabb(g, sh, Transform{m.shape_pos[sh], m.shape_quat[sh]});
        for (int c = 0; c < 8; ++c) {
          const Vec3 corner{(c & 1) ? box.hi.x : box.lo.x, (c & 2) ? box.hi.y : box.lo.y, (c & 4) ? box.hi.z : box.lo.z};
          r = std::max(r, length(corner));
        }
      }
      body_radius[size_t(b)] = r;
    }
    conveyor_shapes.resize(size_t(m.nconveyor()));
    shape_world.resize(size_t(m.nshape()));
    conveyor_box.assign(size_t(m.nconveyor()), Aabb{Vec3{1e30f, 1e30f, 1e30f}, Vec3{-1e30f, -1e30f, -1e30f}});
    for (int sh = 0; sh < m.nshape(); ++sh) {
      const int c = m.shape_conveyor[sh];
      if (c < 0) continue;
      conveyor_shapes[size_t(c)].push_back(sh);
      const int owner = m.shape_body[sh];
      shape_world[size_t(sh)] = compose(Transform{m.body_pos0[owner], m.body_quat0[owner]}, Transform{m.shape_pos[sh], m.shape_quat[sh]});
      Aabb box = shape_aabb(g, sh, shape_world[size_t(sh)]);
      box.hi.z += kBeltReach;
      conveyor_box[size_t(c)] = Aabb{vmin(conveyor_box[size_t(c)].lo, box.lo), vmax(conveyor_box[size_t(c)].hi, box.hi)};
    }
    for (const SensorSpec& sp : l.sensors) {
      Aabb box{Vec3{1e30f, 1e30f, 1e30f}, Vec3{-1e30f, -1e30f, -1e30f}};
      if (sp.kind == SensorKind::zone)
        for (int c = 0; c < 8; ++c) {
          const Vec3 corner{(c & 1) ? sp.half.x : -sp.half.x, (c & 2) ? sp.half.y : -sp.half.y, (c & 4) ? sp.half.z : -sp.half.z};
          const Vec3 p = transform_point(Transform{sp.position, sp.rotation}, corner);
          box = Aabb{vmin(box.lo, p), vmax(box.hi, p)};
        }
      zone_box.push_back(box);
    }
    series.resize(l.sensors.size());
    worlds.resize(size_t(nworld));
    for (int w = 0; w < nworld; ++w) {
      World& wd = worlds[size_t(w)];
      wd.body_part.assign(size_t(nb), -1);
      wd.free_bodies.resize(size_t(m.npool()));
      for (int p = 0; p < m.npool(); ++p)
        for (int k = 0; k < m.pool_count[p]; ++k) wd.free_bodies[size_t(p)].push_back(m.pool_first_body[p] + k);
      wd.counts.resize(size_t(m.npool()));
      const size_t ns = l.sensors.size();
      wd.sensor_value.assign(ns, 0), wd.sensor_events.assign(ns, 0), wd.sensor_max.assign(ns, 0);
      wd.sensor_area.assign(ns, 0.0);
      wd.inside.resize(ns);
      for (size_t k = 0; k < ns; ++k)
        if (l.sensors[k].kind == SensorKind::zone) wd.inside[k].assign(size_t(nb), -1);
      wd.belt_speed.resize(l.belts.size());
      wd.rule_since.resize(l.belts.size());
      wd.belt_clear_since.assign(l.belts.size(), 0.0);
      for (size_t k = 0; k < l.belts.size(); ++k) {
        wd.belt_speed[k] = m.conveyor_speed[size_t(l.belts[k].conveyor)];
        wd.rule_since[k].assign(l.belts[k].rules.size(), -1.0);
      }
      wd.belt_stopped.assign(size_t(m.nconveyor()), 0.0);
      wd.belt_carried.assign(size_t(m.nconveyor()), 0);
      wd.on_belt.assign(size_t(m.nconveyor()), std::vector<uint8_t>(size_t(nb), 0));
      wd.part_body.reserve(1024);
    }
    hooks.reserve(size_t(nworld));
    for (int w = 0; w < nworld; ++w) hooks.push_back(Hooks(this, w));
    for (int w = 0; w < nworld; ++w) {
      World& wd = worlds[size_t(w)];
      if (!pm) continue;
      wd.proc = std::make_unique<process::Simulator>(*pm, seed, uint64_t(w), w == 0 ? trace : nullptr, &hooks[size_t(w)]);
      if (!resume) wd.proc->begin(pm->duration);
    }
    if (resume) {
      load(*resume);
      return;
    }
    // Sensors at t = 0.
    for (int w = 0; w < nworld; ++w) evaluate_sensors(w);
  }

  // Everything carried from step to step (see save()), written and read
  // through this one list; a member added to World must be added here.
  template <class A>
  void io(A& a) {
    using process::archive::all;
    all(a, step_count, series, log);
    for (World& wd : worlds) {
      all(a, wd.part_body, wd.body_part, wd.free_bodies, wd.counts, wd.sensor_value, wd.sensor_events, wd.sensor_max,
          wd.sensor_area, wd.inside, wd.belt_speed, wd.rule_since, wd.belt_clear_since, wd.belt_stopped,
          wd.belt_carried, wd.on_belt, wd.parts_spawned);
      std::string proc = wd.proc && !A::loading ? wd.proc->save() : std::string();
      all(a, proc);
      if (A::loading && wd.proc) wd.proc->load(proc);
    }
  }

  std::string save() {
    process::archive::Save a;
    io(a);
    return std::move(a.bytes);
  }

  void load(const std::string& bytes) {
    process::archive::Load a{bytes};
    io(a);
    if (a.left() != 0) throw RuntimeError("line state: bytes left over (not this scene's line)");
    // Every array must have this scene's shape and every index point into it.
    const size_t nb = size_t(m.nbody()), ns = l.sensors.size(), nbelt = l.belts.size();
    auto body_ok = [&](int64_t b) { return b >= -1 && b < int64_t(nb); };
    bool ok = step_count >= 0 && series.size() == ns;
    for (const SensorEvent& e : log) ok = ok && e.sensor >= 0 && size_t(e.sensor) < ns && body_ok(e.body);
    for (World& wd : worlds) {
      ok = ok && wd.body_part.size() == nb && wd.free_bodies.size() == size_t(m.npool()) &&
           wd.counts.size() == size_t(m.npool()) && wd.sensor_value.size() == ns && wd.sensor_events.size() == ns &&
           wd.sensor_max.size() == ns && wd.sensor_area.size() == ns && wd.inside.size() == ns &&
           wd.belt_speed.size() == nbelt && wd.rule_since.size() == nbelt && wd.belt_clear_since.size() == nbelt &&
           wd.belt_stopped.size() == size_t(m.nconveyor()) && wd.belt_carried.size() == size_t(m.nconveyor()) &&
           wd.on_belt.size() == size_t(m.nconveyor());
      if (!ok) break;
      for (size_t k = 0; k < ns; ++k) ok = ok && wd.inside[k].size() == (l.sensors[k].kind == SensorKind::zone ? nb : 0);
      for (size_t k = 0; k < nbelt; ++k) ok = ok && wd.rule_since[k].size() == l.belts[k].rules.size();
      for (const auto& on : wd.on_belt) ok = ok && on.size() == nb;
      for (int32_t b : wd.part_body) ok = ok && body_ok(b);
      for (const auto& q : wd.free_bodies)
        for (int32_t b : q) ok = ok && b >= 0 && size_t(b) < nb;
      if (!ok) break;
    }
    if (!ok) throw RuntimeError("line state: another scene's line, or damaged");
  }

  // The process's hooks of one world.
  struct Hooks : process::Physical {
    Impl* impl = nullptr;
    int world = 0;
    Hooks(Impl* i, int w) : impl(i), world(w) {}
    bool spawn(int node, uint32_t part, int type) override { return impl->spawn(world, node, part, type); }
    bool place(int node, uint32_t part, int type) override { return impl->place(world, node, part, type); }
    void gone(uint32_t part) override { impl->gone(world, part); }
  };
  std::vector<Hooks> hooks;  // reserved once: the simulators keep pointers to them
  int32_t taking = -1;       // the body a station is being offered (a zero-time process may place it at once)
  bool taken_and_placed = false;

  double now() const { return double(step_count) * dt; }

  // Is a spot free for a part of `pool` at p: no active dynamic body's
  // bounding sphere reaches into the new part's?
  bool spot_free(int w, Vec3 p, float radius) {
    View<const uint8_t> active = sim.active(w);
    View<const Vec3> pos = sim.positions(w);
    for (int b : dynamic_bodies)
      if (active[size_t(b)] && length(pos[size_t(b)] - p) < radius + body_radius[size_t(b)]) return false;
    return true;
  }

  int32_t take_body(int w, int pool) {
    World& wd = worlds[size_t(w)];
    auto& q = wd.free_bodies[size_t(pool)];
    if (q.empty())
      throw RuntimeError(m.pool_where[size_t(pool)] + ": part pool '" + m.pool_name[size_t(pool)] + "' is exhausted at t = " +
                         format_seconds(now()) + " s: all " + std::to_string(m.pool_count[size_t(pool)]) +
                         " of its bodies carry parts (raise parts." + m.pool_name[size_t(pool)] + ".pool)");
    const int32_t b = q.front();
    q.pop_front();
    return b;
  }

  static std::string format_seconds(double t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", t);
    return buf;
  }

  void bind(int w, uint32_t part, int32_t body) {
    World& wd = worlds[size_t(w)];
    if (wd.part_body.size() <= part) wd.part_body.resize(size_t(part) + 1, -1);
    wd.part_body[part] = body;
    wd.body_part[size_t(body)] = int32_t(part);
  }

  void put(int w, int32_t body, const Spot& s) {
    sim.place_body(BodyId{body}, s.position, s.rotation, s.velocity, Vec3{0, 0, 0}, w);
  }

  bool spawn(int w, int node, uint32_t part, int type) {
    const Spot& s = l.spawn[size_t(node)];
    const int pool = s.pool >= 0 ? s.pool : l.type_pool[size_t(type)];
    if (!spot_free(w, s.position, m.pool_radius[size_t(pool)])) return false;
    const int32_t b = take_body(w, pool);
    bind(w, part, b);
    put(w, b, s);
    ++worlds[size_t(w)].counts[size_t(pool)].spawned;
    ++worlds[size_t(w)].parts_spawned;
    return true;
  }

  bool place(int w, int node, uint32_t part, int type) {
    World& wd = worlds[size_t(w)];
    const Spot& s = l.place[size_t(node)];
    int32_t b = part < wd.part_body.size() ? wd.part_body[part] : -1;
    const int want = l.type_pool[size_t(type)];
    const int have = b >= 0 ? body_pool[size_t(b)] : -1;
    const int pool = want >= 0 ? want : have;
    if (pool < 0)
      throw RuntimeError("process object '" + pm->nodes[size_t(node)].name + "' places a part of type '" +
                         pm->part_types[size_t(type)].name + "' that has no body and no part template with a pool");
    if (!spot_free(w, s.position, m.pool_radius[size_t(pool)])) return false;
    if (have == pool && b == taking) {
      taken_and_placed = true;  // taken and placed in the same instant: it moves straight to the spot
    } else if (have == pool) {
      --wd.counts[size_t(pool)].in_station;
    } else {
      if (b >= 0) release(w, b, true);  // turned into another part type
      b = take_body(w, pool);
      bind(w, part, b);
      ++wd.counts[size_t(pool)].spawned;
    }
    put(w, b, s);
    return true;
  }

  // A body's part is gone (or turned into another type): free the body.
  void release(int w, int32_t b, bool in_station) {
    World& wd = worlds[size_t(w)];
    const int pool = body_pool[size_t(b)];
    if (sim.body_active(BodyId{b}, w)) remove(w, b);
    else if (in_station && pool >= 0) --wd.counts[size_t(pool)].in_station;
    const int32_t part = wd.body_part[size_t(b)];
    if (part >= 0 && size_t(part) < wd.part_body.size()) wd.part_body[size_t(part)] = -1;
    wd.body_part[size_t(b)] = -1;
    if (pool >= 0) {
      ++wd.counts[size_t(pool)].removed;
      wd.free_bodies[size_t(pool)].push_back(b);
    }
  }

  // Takes a body out of the physics; the zones it was in see it leave now.
  void remove(int w, int32_t b) {
    World& wd = worlds[size_t(w)];
    sim.remove_body(BodyId{b}, w);
    for (size_t k = 0; k < wd.inside.size(); ++k) {
      auto& z = wd.inside[k];
      if (z.empty() || z[size_t(b)] < 0) continue;
      z[size_t(b)] = -1;
      --wd.sensor_value[k];
      record_event(w, int(k), 3, b);
      record_change(w, int(k), wd.sensor_value[k]);
    }
  }

  void gone(int w, uint32_t part) {
    World& wd = worlds[size_t(w)];
    if (part >= wd.part_body.size() || wd.part_body[part] < 0) return;
    release(w, wd.part_body[part], true);
  }

  void record_change(int w, int sensor, int64_t value) {
    if (w == 0) series[size_t(sensor)].push_back({step_count, value});
  }
  void record_event(int w, int sensor, uint8_t e, int32_t body) {
    if (w == 0) log.push_back({step_count, int32_t(sensor), e, body});
  }

  void evaluate_sensors(int w) {
    World& wd = worlds[size_t(w)];
    View<const uint8_t> active = sim.active(w);
    View<const Vec3> pos = sim.positions(w);
    View<const Quat> quat = sim.orientations(w);
    for (size_t k = 0; k < l.sensors.size(); ++k) {
      const SensorSpec& s = l.sensors[k];
      int64_t value = 0;
      if (s.kind == SensorKind::photo_eye) {
        for (int b : dynamic_bodies) {
          if (!active[size_t(b)]) continue;
          if (segment_distance(pos[size_t(b)], s.from, s.to) > body_radius[size_t(b)]) continue;
          const Transform bx{pos[size_t(b)], quat[size_t(b)]};
          for (int sh = m.body_shape_begin[b]; sh < m.body_shape_begin[b] + m.body_shape_count[b] && !value; ++sh) {
            const Transform xf = compose(bx, Transform{m.shape_pos[sh], m.shape_quat[sh]});
            value = segment_hits_box(inv_transform_point(xf, s.from), inv_transform_point(xf, s.to), shape_lo[size_t(sh)],
                                     shape_hi[size_t(sh)]);
          }
          if (value) break;
        }
        if (value != wd.sensor_value[k]) {
          if (value) ++wd.sensor_events[k];
          record_event(w, int(k), value ? 0 : 1, -1);
          record_change(w, int(k), value);
        } else if (step_count == 0) {
          record_change(w, int(k), value);
        }
      } else {
        auto& inside = wd.inside[k];
        const Transform zx{s.position, s.rotation};
        const Aabb& zb = zone_box[k];
        for (int b : dynamic_bodies) {
          const Vec3 c = pos[size_t(b)];
          const bool near = c.x >= zb.lo.x && c.x <= zb.hi.x && c.y >= zb.lo.y && c.y <= zb.hi.y && c.z >= zb.lo.z && c.z <= zb.hi.z;
          const bool in = near && active[size_t(b)] && [&] {
            const Vec3 p = inv_transform_point(zx, pos[size_t(b)]);
            return std::fabs(p.x) <= s.half.x && std::fabs(p.y) <= s.half.y && std::fabs(p.z) <= s.half.z;
          }();
          if (in) ++value;
          if (in && inside[size_t(b)] < 0) {
            inside[size_t(b)] = step_count;
            ++wd.sensor_events[k];
            record_event(w, int(k), 2, b);
          } else if (!in && inside[size_t(b)] >= 0) {
            inside[size_t(b)] = -1;
            record_event(w, int(k), 3, b);
          }
        }
        if (value != wd.sensor_value[k] || step_count == 0) record_change(w, int(k), value);
      }
      wd.sensor_value[k] = value;
      wd.sensor_max[k] = std::max(wd.sensor_max[k], value);
    }
  }

  // Parts on each belt: a part's centre over one of the belt's shapes,
  // within kBeltReach above its top.
  void count_belts(int w) {
    World& wd = worlds[size_t(w)];
    View<const uint8_t> active = sim.active(w);
    View<const Vec3> pos = sim.positions(w);
    for (int c = 0; c < m.nconveyor(); ++c) {
      auto& on = wd.on_belt[size_t(c)];
      const Aabb& cb = conveyor_box[size_t(c)];
      for (int b : dynamic_bodies) {
        bool now_on = false;
        const Vec3 x = pos[size_t(b)];
        if (active[size_t(b)] && x.x >= cb.lo.x && x.x <= cb.hi.x && x.y >= cb.lo.y && x.y <= cb.hi.y && x.z >= cb.lo.z &&
            x.z <= cb.hi.z)
          for (int sh : conveyor_shapes[size_t(c)]) {
            const Vec3 p = inv_transform_point(shape_world[size_t(sh)], x);
            const Vec3 lo = shape_lo[size_t(sh)], hi = shape_hi[size_t(sh)];
            if (p.x >= lo.x && p.x <= hi.x && p.y >= lo.y && p.y <= hi.y && p.z >= hi.z && p.z <= hi.z + kBeltReach) {
              now_on = true;
              break;
            }
          }
        if (now_on && !on[size_t(b)]) ++wd.belt_carried[size_t(c)];
        on[size_t(b)] = now_on;
      }
    }
  }

  // Stations take parts from their zones (first entered first; rest or
  // entry per take_when); sinks remove every part in theirs.
  void take_and_sink(int w) {
    if (!pm) return;
    World& wd = worlds[size_t(w)];
    View<const Vec3> vel = sim.velocities(w);
    for (size_t i = 0; i < pm->nodes.size(); ++i) {
      const int zone = l.take_zone[i] >= 0 ? l.take_zone[i] : l.sink_zone[i];
      if (zone < 0) continue;
      const bool sink = l.sink_zone[i] >= 0;
      // Candidates in order of entry (then body index).
      cand.clear();
      const auto& inside = wd.inside[size_t(zone)];
      for (int b : dynamic_bodies)
        if (inside[size_t(b)] >= 0 && wd.body_part[size_t(b)] >= 0) cand.push_back({inside[size_t(b)], b});
      std::sort(cand.begin(), cand.end());
      for (auto [entered, b] : cand) {
        (void)entered;
        if (!sink && !l.take_on_enter[i] && length(vel[size_t(b)]) > kRestSpeed) continue;
        const uint32_t part = uint32_t(wd.body_part[size_t(b)]);
        const int pool = body_pool[size_t(b)];
        if (!sim.body_active(BodyId{b}, w)) continue;
        if (!sink) {
          // Taken: out of the physics while the station holds it.
          taking = b, taken_and_placed = false;
          const bool taken = wd.proc->offer_part(int(i), part);
          taking = -1;
          if (!taken) break;
          if (!taken_and_placed && wd.part_body.size() > part && wd.part_body[part] == b) {
            remove(w, b);
            if (pool >= 0) ++wd.counts[size_t(pool)].in_station;
          }
        } else {
          wd.proc->offer_part(int(i), part);  // a sink takes every part; gone() frees the body
        }
      }
    }
  }

  std::vector<std::pair<int64_t, int>> cand;

  void control_belts(int w) {
    World& wd = worlds[size_t(w)];
    const double t = now();
    for (size_t k = 0; k < l.belts.size(); ++k) {
      const BeltSpec& b = l.belts[k];
      bool stop = false;
      for (size_t r = 0; r < b.rules.size(); ++r) {
        const RuleSpec& rule = b.rules[r];
        bool holds;
        if (rule.watch == Watch::station) {
          holds = int(wd.proc->station_state(rule.station)) == rule.station_state;
        } else {
          const int64_t v = wd.sensor_value[size_t(rule.sensor)];
          const int64_t cap = l.sensors[size_t(rule.sensor)].capacity;
          holds = rule.watch == Watch::blocked ? v != 0 : rule.watch == Watch::cleared ? v == 0
                  : rule.watch == Watch::occupied ? v > 0 : rule.watch == Watch::empty ? v == 0 : v >= cap;
        }
        double& since = wd.rule_since[k][r];
        if (!holds) since = -1;
        else if (since < 0) since = t;
        // Compared in steps, so a delay of n steps is exactly n steps.
        if (holds && t - since >= rule.delay - 0.5 * dt) stop = true;
      }
      const float nominal = m.conveyor_speed[size_t(b.conveyor)];
      if (stop) wd.belt_clear_since[k] = -1;
      else if (wd.belt_clear_since[k] < 0) wd.belt_clear_since[k] = t;
      const bool run = !stop && t - wd.belt_clear_since[k] >= b.resume_delay - 0.5 * dt;
      const float target = run ? nominal : 0.0f;
      float v = wd.belt_speed[k];
      if (b.acceleration > 0) {
        const float dv = float(b.acceleration * dt);
        v = target > v ? std::min(target, v + dv) : std::max(target, v - dv);
      } else {
        v = target;
      }
      if (v != wd.belt_speed[k]) {
        wd.belt_speed[k] = v;
        sim.set_conveyor_speed(ConveyorId{b.conveyor}, v, w);
      }
    }
  }

  double physics_seconds = 0, coupling_seconds = 0;

  static double clock_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }

  void step(int n) {
    for (int k = 0; k < n; ++k) {
      const double t0 = clock_now();
      const process::Tick tick = process::to_ticks(now());
      for (int w = 0; w < nworld; ++w) {
        World& wd = worlds[size_t(w)];
        if (wd.proc) {
          wd.proc->advance(tick);
          take_and_sink(w);
          wd.proc->retry_physical();
        }
        control_belts(w);
      }
      const double t1 = clock_now();
      sim.step(1);
      const double t2 = clock_now();
      ++step_count;
      for (int w = 0; w < nworld; ++w) {
        World& wd = worlds[size_t(w)];
        for (size_t s = 0; s < l.sensors.size(); ++s) wd.sensor_area[s] += double(wd.sensor_value[s]) * dt;
        for (int c = 0; c < m.nconveyor(); ++c)
          if (sim.conveyor_speed(ConveyorId{c}, w) == 0.0f && m.conveyor_speed[size_t(c)] != 0.0f) wd.belt_stopped[size_t(c)] += dt;
        evaluate_sensors(w);
        count_belts(w);
      }
      const double t3 = clock_now();
      physics_seconds += t2 - t1;
      coupling_seconds += (t1 - t0) + (t3 - t2);
    }
  }

  process::Experiment finish() {
    process::Experiment e;
    if (pm) {
      std::vector<process::Results> runs;
      for (int w = 0; w < nworld; ++w) {
        World& wd = worlds[size_t(w)];
        wd.proc->advance(process::to_ticks(now()));
        runs.push_back(wd.proc->finish());
      }
      e = process::summarize(*pm, std::move(runs));
    }
    // The line's own KPIs, one value per world.
    const double span = now();
    auto add = [&](const std::string& name, const std::string& unit, auto value) {
      process::KpiStat k{name, unit};
      for (int w = 0; w < nworld; ++w) k.values.push_back(double(value(worlds[size_t(w)])));
      process::confidence_interval(k.values, 0.95, k.mean, k.half_width);
      e.kpis.push_back(std::move(k));
    };
    for (int c = 0; c < m.nconveyor(); ++c) {
      const std::string& name = m.conveyor_name[size_t(c)];
      add(name + ".parts_carried", "parts", [&](World& wd) { return wd.belt_carried[size_t(c)]; });
      add(name + ".stopped", "fraction", [&](World& wd) { return span > 0 ? wd.belt_stopped[size_t(c)] / span : 0.0; });
    }
    for (size_t s = 0; s < l.sensors.size(); ++s) {
      const SensorSpec& spec = l.sensors[s];
      if (spec.kind == SensorKind::photo_eye) {
        add(spec.name + ".blocked_count", "events", [&](World& wd) { return wd.sensor_events[s]; });
        add(spec.name + ".blocked", "fraction", [&](World& wd) { return span > 0 ? wd.sensor_area[s] / span : 0.0; });
      } else {
        add(spec.name + ".entries", "parts", [&](World& wd) { return wd.sensor_events[s]; });
        add(spec.name + ".mean_count", "parts", [&](World& wd) { return span > 0 ? wd.sensor_area[s] / span : 0.0; });
        add(spec.name + ".max_count", "parts", [&](World& wd) { return wd.sensor_max[s]; });
      }
    }
    add("line.parts_spawned", "parts", [&](World& wd) { return wd.parts_spawned; });
    finished = true;
    return e;
  }
};

LineRun::LineRun(Simulation& sim, const process::Model* pm, LineSpec spec, uint64_t seed, process::Trace* trace,
                 const std::string* resume)
    : impl_(std::make_unique<Impl>(sim, pm, std::move(spec), seed, trace, resume)) {}
std::string LineRun::save() const { return impl_->save(); }
LineRun::~LineRun() = default;
void LineRun::step(int n) { impl_->step(n); }
process::Experiment LineRun::finish() { return impl_->finish(); }
const LineSpec& LineRun::spec() const { return impl_->l; }
double LineRun::physics_seconds() const { return impl_->physics_seconds; }
double LineRun::coupling_seconds() const { return impl_->coupling_seconds; }

PoolCount LineRun::pool_count(int pool, int world) const {
  PoolCount c = impl_->worlds.at(size_t(world)).counts.at(size_t(pool));
  View<const uint8_t> active = impl_->sim.active(world);
  const Model& m = impl_->m;
  c.active = 0;
  for (int k = 0; k < m.pool_count[size_t(pool)]; ++k) c.active += active[size_t(m.pool_first_body[size_t(pool)] + k)];
  return c;
}
int64_t LineRun::sensor_value(int s, int w) const { return impl_->worlds.at(size_t(w)).sensor_value.at(size_t(s)); }
int64_t LineRun::sensor_events(int s, int w) const { return impl_->worlds.at(size_t(w)).sensor_events.at(size_t(s)); }
const std::vector<LineRun::Change>& LineRun::sensor_series(int s) const { return impl_->series.at(size_t(s)); }
const std::vector<LineRun::SensorEvent>& LineRun::sensor_log() const { return impl_->log; }

namespace {

void check(herr_t status, const char* what) {
  if (status < 0) throw RuntimeError(std::string("HDF5: cannot write ") + what);
}

template <class T>
void write_vector(hid_t group, const char* name, hid_t type, const std::vector<T>& v, const char* unit = nullptr) {
  h5::unlink_if_there(group, name);  // written at completion: see unlink_if_there
  hsize_t n = v.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t ds = H5Dcreate2(group, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (ds < 0) throw RuntimeError(std::string("HDF5: cannot create ") + name);
  if (n) check(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), name);
  if (unit) {
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, std::char_traits<char>::length(unit) + 1);
    hid_t as = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(ds, "unit", st, as, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, st, unit);
    H5Aclose(a), H5Sclose(as), H5Tclose(st);
  }
  H5Dclose(ds);
  H5Sclose(space);
}

}  // namespace

void LineRun::write_h5(int64_t file_id) const {
  const hid_t file = hid_t(file_id);
  const Impl& r = *impl_;
  hid_t obs = h5::open_or_create_group(file, "observables");
  for (size_t s = 0; s < r.l.sensors.size(); ++s) {
    const SensorSpec& spec = r.l.sensors[s];
    hid_t g = h5::open_or_create_group(obs, spec.name);
    hid_t ts = h5::open_or_create_group(g, spec.kind == SensorKind::photo_eye ? "blocked" : "count");
    std::vector<int64_t> step, value;
    std::vector<double> time;
    for (const Change& c : r.series[s]) step.push_back(c.step), time.push_back(double(c.step) * r.dt), value.push_back(c.value);
    write_vector(ts, "step", H5T_NATIVE_INT64, step);
    write_vector(ts, "time", H5T_NATIVE_DOUBLE, time, "s");
    write_vector(ts, "value", H5T_NATIVE_INT64, value, spec.kind == SensorKind::zone ? "parts" : nullptr);
    H5Gclose(ts), H5Gclose(g);
  }
  H5Gclose(obs);
  hid_t line = h5::open_or_create_group(file, "line");
  std::vector<std::string> names;
  for (auto& s : r.l.sensors) names.push_back(s.name);
  h5::write_text_list(line, "sensor_names", names);
  h5::write_text_list(line, "event_names", {"blocked", "cleared", "enter", "exit"});
  hid_t ev = h5::open_or_create_group(line, "events");
  std::vector<double> time;
  std::vector<int64_t> step;
  std::vector<int32_t> sensor, body;
  std::vector<uint8_t> event;
  for (const SensorEvent& e : r.log) {
    step.push_back(e.step), time.push_back(double(e.step) * r.dt);
    sensor.push_back(e.sensor), event.push_back(e.event), body.push_back(e.body);
  }
  write_vector(ev, "step", H5T_NATIVE_INT64, step);
  write_vector(ev, "time", H5T_NATIVE_DOUBLE, time, "s");
  write_vector(ev, "sensor", H5T_NATIVE_INT32, sensor);
  write_vector(ev, "event", H5T_NATIVE_UINT8, event);
  write_vector(ev, "body", H5T_NATIVE_INT32, body);
  H5Gclose(ev), H5Gclose(line);
}

void print_line_kpis(const LineSpec& spec, const Model& m, const process::Experiment& e, std::ostream& out) {
  auto value = [&](const std::string& name) -> std::string {
    const process::KpiStat& k = e.kpi(name);
    std::ostringstream s;
    // Counts of one replication are whole numbers: printed as such.
    const bool whole = k.unit != "fraction" && !std::isfinite(k.half_width) && k.mean == std::floor(k.mean);
    s << std::fixed << std::setprecision(whole ? 0 : k.unit == "fraction" ? 1 : 2)
      << (k.unit == "fraction" ? 100 * k.mean : k.mean);
    if (std::isfinite(k.half_width))
      s << " ± " << std::setprecision(k.unit == "fraction" ? 1 : 2) << (k.unit == "fraction" ? 100 * k.half_width : k.half_width);
    if (k.unit == "fraction") s << " %";
    return s.str();
  };
  out << "\nPhysical line\n";
  for (int c = 0; c < m.nconveyor(); ++c) {
    const std::string& n = m.conveyor_name[size_t(c)];
    out << std::left << std::setw(18) << n << " parts carried " << value(n + ".parts_carried") << ", stopped "
        << value(n + ".stopped") << "\n";
  }
  for (auto& s : spec.sensors) {
    out << std::left << std::setw(18) << s.name;
    if (s.kind == SensorKind::photo_eye)
      out << " blocked " << value(s.name + ".blocked_count") << " times, " << value(s.name + ".blocked") << " of the time\n";
    else
      out << " entries " << value(s.name + ".entries") << ", mean count " << value(s.name + ".mean_count") << ", max "
          << value(s.name + ".max_count") << "\n";
  }
  out << std::left << std::setw(18) << "parts spawned" << " " << value("line.parts_spawned") << "\n";
}

}  // namespace werk::line
