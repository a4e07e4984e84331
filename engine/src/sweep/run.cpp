// Running sweep variants: process replications, physics runs, and physics
// variants batched as worlds of one Simulation.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

#include "blowup.h"
#include "process/experiment.h"
#include "sweep/sweep.h"
#include "werk/error.h"
#include "werk/process.h"
#include "werk/recorder.h"
#include "werk/scene.h"
#include "werk/simulation.h"
#include "../../kernels/geometry.h"

namespace werk::sweep {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// True when `name` appears as a value anywhere in `n`.
bool mentions(const YAML::Node& n, const std::string& name) {
  if (n.IsScalar()) return n.Scalar() == name;
  if (n.IsSequence())
    for (const auto& e : n)
      if (mentions(e, name)) return true;
  if (n.IsMap())
    for (auto it = n.begin(); it != n.end(); ++it)
      if (mentions(it->second, name)) return true;
  return false;
}

// Parameters whose values live in the State, per world: belt speeds, motor
// targets and the initial pose and velocity of a single dynamic body (not
// a grid of them, not joined to anything: joint anchors are computed from
// the initial poses). Two variants that differ only in these share a Model.
bool per_world(const Spec& s, const std::string& path) {
  auto starts = [&](const char* p) { return path.rfind(p, 0) == 0; };
  auto ends = [&](const std::string& suffix) {
    return path.size() > suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (starts("conveyors[") && ends("].speed") && std::count(path.begin(), path.end(), '[') == 1) return true;
  if (starts("joints[") && ends("].motor.target") && std::count(path.begin(), path.end(), '[') == 1) return true;
  if (!starts("bodies[")) return false;
  size_t close = path.find(']');
  std::string rest = path.substr(close + 1);
  bool pose = false;
  for (const char* key : {".position", ".velocity", ".angular_velocity", ".rotation"})
    if (rest == key || rest.rfind(std::string(key) + "[", 0) == 0) pose = true;
  if (!pose) return false;
  // The body entry itself: dynamic, no grid.
  std::string sel = path.substr(7, close - 7);
  const YAML::Node& bodies = s.scene_root["bodies"];
  if (!bodies.IsSequence()) return false;
  for (size_t i = 0; i < bodies.size(); ++i) {
    const YAML::Node& b = bodies[i];
    bool match = b.IsMap() && b["name"] && b["name"].Scalar() == sel;
    if (!match && std::all_of(sel.begin(), sel.end(), ::isdigit) && std::to_string(i) == sel) match = true;
    if (!match) continue;
    if (b["grid"]) return false;
    if (b["kind"] && b["kind"].Scalar() != "dynamic") return false;
    if (b["name"] && s.scene_root["joints"] && mentions(s.scene_root["joints"], b["name"].Scalar())) return false;
    return true;
  }
  return false;
}

// The scene text with only the parameters that are not per-world applied:
// variants with equal keys compile to the same Model, apart from the State.
std::string model_key(const Spec& s, int v) {
  std::string key;
  for (size_t k = 0; k < s.params.size(); ++k)
    if (!per_world(s, s.params[k].path)) key += s.params[k].path + "=" + s.variants[v][k].text + "\n";
  return key;
}

State world_state(const State& s, int w, const Model& m) {
  State o;
  o.nworld = 1;
  o.nbody = s.nbody;
  o.step = s.step;
  o.time = s.time;
  const size_t b0 = size_t(w) * s.nbody, b1 = b0 + s.nbody;
  o.body_pos.assign(s.body_pos.begin() + b0, s.body_pos.begin() + b1);
  o.body_quat.assign(s.body_quat.begin() + b0, s.body_quat.begin() + b1);
  o.body_vel.assign(s.body_vel.begin() + b0, s.body_vel.begin() + b1);
  o.body_angvel.assign(s.body_angvel.begin() + b0, s.body_angvel.begin() + b1);
  const size_t c0 = size_t(w) * m.nconveyor(), j0 = size_t(w) * m.njoint();
  o.conveyor_speed.assign(s.conveyor_speed.begin() + c0, s.conveyor_speed.begin() + c0 + m.nconveyor());
  o.joint_motor_target.assign(s.joint_motor_target.begin() + j0, s.joint_motor_target.begin() + j0 + m.njoint());
  return o;
}

// The bounding box of the static bodies an output names.
Aabb static_box(const Model& m, const std::vector<std::string>& patterns) {
  GeometryView g = geometry_view(m);
  Aabb box{{HUGE_VALF, HUGE_VALF, HUGE_VALF}, {-HUGE_VALF, -HUGE_VALF, -HUGE_VALF}};
  for (int b = 0; b < m.nbody(); ++b) {
    if (m.body_kind[b] != BodyKind::Static) continue;
    bool match = false;
    for (const std::string& p : patterns) {
      bool prefix = !p.empty() && p.back() == '*';
      match |= prefix ? m.body_name[b].compare(0, p.size() - 1, p, 0, p.size() - 1) == 0 : m.body_name[b] == p;
    }
    if (!match) continue;
    Transform body{m.body_pos0[b], m.body_quat0[b]};
    for (int s = m.body_shape_begin[b]; s < m.body_shape_begin[b] + m.body_shape_count[b]; ++s) {
      Aabb a = shape_aabb(g, s, compose(body, Transform{m.shape_pos[s], m.shape_quat[s]}));
      box.lo = vmin(box.lo, a.lo);
      box.hi = vmax(box.hi, a.hi);
    }
  }
  return box;
}

void run_process(const Spec& s, int v, const YAML::Node& doc, const RunOptions& o, Record& r) {
  yaml::Source src{s.scene_file};
  double duration;
  uint64_t scene_seed;
  process::scene_defaults(src, doc, duration, scene_seed);
  process::Model m = process::compile_model(src, doc["process"], duration, scene_seed);
  process::Experiment e = process::run_experiment(m, s.seed, s.replications, o.threads);
  if (e.interrupted) throw RuntimeError("interrupted");
  for (size_t k = 0; k < s.outputs.size(); ++k) {
    if (s.outputs[k].figure != Figure::process_kpi) continue;
    r.values[k] = e.kpi(s.outputs[k].kpi).values;
  }
  (void)v;
}

// Runs variants `vs` (one batch) as worlds of one Simulation of `model`;
// initial states come from each variant's own compiled Model.
void run_physics(const Spec& s, const std::vector<int>& vs, const std::vector<Model>& models, const RunOptions& o,
                 std::vector<Record>& recs) {
  const int n = int(vs.size());
  const Model& model = models[0];
  SimulationOptions so;
  so.backend = o.backend;
  so.threads = o.threads;
  so.nworld = n;
  const double start = now_seconds();
  Simulation sim(model, so);
  if (n > 1) {
    State st = make_state(model, n);
    for (int w = 0; w < n; ++w) {
      State one = make_state(models[w], 1);
      const size_t b0 = size_t(w) * model.nbody();
      std::copy(one.body_pos.begin(), one.body_pos.end(), st.body_pos.begin() + b0);
      std::copy(one.body_quat.begin(), one.body_quat.end(), st.body_quat.begin() + b0);
      std::copy(one.body_vel.begin(), one.body_vel.end(), st.body_vel.begin() + b0);
      std::copy(one.body_angvel.begin(), one.body_angvel.end(), st.body_angvel.begin() + b0);
      std::copy(one.conveyor_speed.begin(), one.conveyor_speed.end(), st.conveyor_speed.begin() + size_t(w) * model.nconveyor());
      std::copy(one.joint_motor_target.begin(), one.joint_motor_target.end(),
                st.joint_motor_target.begin() + size_t(w) * model.njoint());
    }
    sim.set_state(st);
  }
  std::unique_ptr<Recorder> rec;
  if (!o.trajectory_dir.empty()) {  // one variant per simulation then
    std::string path = (std::filesystem::path(o.trajectory_dir) / ("variant_" + std::to_string(vs[0]) + ".h5")).string();
    RecorderOptions ro;
    ro.backend = sim.backend_name();
    ro.seed = model.seed;
    ro.swmr = false;
    rec = std::make_unique<Recorder>(models[0], path, ro);
    recs[0].trajectory = path;
  }
  const int64_t total = int64_t(std::llround(model.duration / model.dt));
  const int64_t stride = std::max<int64_t>(1, std::llround(model.record_interval / model.dt));
  bool want_motion = false, want_overlap = false;
  double motion_speed = 0;
  for (const Output& out : s.outputs) {
    if (out.figure == Figure::last_motion) want_motion = true, motion_speed = std::max(motion_speed, out.speed);
    if (out.figure == Figure::max_overlap) want_overlap = true;
  }
  // Per world: the last time each last_motion threshold was exceeded.
  std::vector<std::vector<double>> last_motion(s.outputs.size(), std::vector<double>(n, 0.0));
  double max_overlap = 0;
  std::vector<bool> failed(n, false);
  auto check = [&] {
    const State& st = sim.state();
    for (int w = 0; w < n; ++w) {
      if (failed[w]) continue;
      State one = world_state(st, w, model);
      std::string what;
      int bad = find_blowup(model, one, &what);
      if (bad >= 0) {
        failed[w] = true;
        recs[w].message = blowup_message(model, one, bad, what, max_overlap);
      }
    }
  };
  if (rec) rec->record(sim.state());
  constexpr int64_t kCheckSteps = 240;
  for (int64_t done = 0; done < total;) {
    int64_t chunk = want_motion || want_overlap ? 1 : std::min<int64_t>(kCheckSteps, total - done);
    if (rec) chunk = std::min(chunk, stride - done % stride);
    sim.step(int(chunk));
    done += chunk;
    if (want_overlap) max_overlap = std::max(max_overlap, double(sim.last_max_penetration()));
    if (want_motion) {
      for (int w = 0; w < n; ++w) {
        View<const Vec3> vel = sim.velocities(w);
        float fastest2 = 0;
        for (int b = 0; b < model.nbody(); ++b)
          if (model.body_kind[b] == BodyKind::Dynamic) fastest2 = std::max(fastest2, dot(vel[b], vel[b]));
        for (size_t k = 0; k < s.outputs.size(); ++k)
          if (s.outputs[k].figure == Figure::last_motion && fastest2 > s.outputs[k].speed * s.outputs[k].speed)
            last_motion[k][w] = sim.time();
      }
    }
    if (done % kCheckSteps == 0 || done == total) check();
    if (rec && (done % stride == 0 || done == total)) rec->record(sim.state());
  }
  if (rec) rec->close();
  const double wall = now_seconds() - start;
  const State& st = sim.state();
  for (int w = 0; w < n; ++w) {
    Record& r = recs[w];
    if (failed[w]) continue;
    State one = world_state(st, w, model);
    r.state_hash = state_hash(one);
    for (size_t k = 0; k < s.outputs.size(); ++k) {
      const Output& out = s.outputs[k];
      double x = NAN;
      switch (out.figure) {
        case Figure::process_kpi: continue;
        case Figure::bodies_inside: {
          Aabb box = static_box(model, out.inside);
          int count = 0;
          for (int b = 0; b < model.nbody(); ++b) {
            Vec3 p = one.body_pos[b];
            if (model.body_kind[b] == BodyKind::Dynamic && p.x >= box.lo.x && p.x <= box.hi.x && p.y >= box.lo.y &&
                p.y <= box.hi.y && p.z >= box.lo.z && p.z <= box.hi.z)
              ++count;
          }
          x = count;
          break;
        }
        case Figure::max_overlap: x = max_overlap; break;
        case Figure::last_motion: x = last_motion[k][w]; break;
        case Figure::wall_time: x = wall; break;
      }
      r.values[k].assign(1, x);
    }
  }
}

}  // namespace

std::vector<std::vector<int>> plan_batches(const Spec& s, const std::vector<int>& variants, int batch) {
  std::vector<std::vector<int>> out;
  bool batchable = batch > 1 && s.needs_physics() && !s.needs_process();
  for (const Output& o : s.outputs)
    if (o.figure == Figure::max_overlap || o.figure == Figure::wall_time) batchable = false;  // whole-simulation figures
  if (!batchable) {
    for (int v : variants) out.push_back({v});
    return out;
  }
  std::map<std::string, size_t> open;  // model key -> batch being filled
  for (int v : variants) {
    std::string key = model_key(s, v);
    auto it = open.find(key);
    if (it == open.end() || out[it->second].size() >= size_t(batch)) {
      open[key] = out.size();
      out.push_back({v});
    } else {
      out[it->second].push_back(v);
    }
  }
  return out;
}

std::vector<Record> run_variants(const Spec& s, const std::vector<int>& vs, const RunOptions& o) {
  std::vector<Record> recs(vs.size());
  for (size_t i = 0; i < vs.size(); ++i) {
    recs[i].variant = vs[i];
    recs[i].values.assign(s.outputs.size(), {});
  }
  const double start = now_seconds();
  // Process part: one variant at a time.
  std::vector<Model> models(vs.size());
  for (size_t i = 0; i < vs.size(); ++i) {
    Record& r = recs[i];
    try {
      YAML::Node doc = variant_document(s, vs[i]);
      if (s.needs_process()) run_process(s, vs[i], doc, o, r);
      if (s.needs_physics()) {
        YAML::Emitter e;
        e << doc;
        models[i] = compile_scene(std::string(e.c_str()) + "\n", s.scene_file);
      }
    } catch (const std::exception& e) {
      r.message = e.what();
    }
  }
  if (s.needs_physics()) {
    // The variants still fine run together; one that failed to build is out.
    std::vector<int> live;
    std::vector<Model> live_models;
    std::vector<Record> live_recs;
    for (size_t i = 0; i < vs.size(); ++i)
      if (recs[i].message.empty()) live.push_back(int(i));
    for (int i : live) live_models.push_back(models[i]), live_recs.push_back(recs[i]);
    if (!live.empty()) {
      try {
        if (live.size() > 1 && !o.trajectory_dir.empty()) throw RuntimeError("internal: a batch with kept trajectories");
        std::vector<int> ids;
        for (int i : live) ids.push_back(vs[i]);
        run_physics(s, ids, live_models, o, live_recs);
      } catch (const std::exception& e) {
        for (Record& r : live_recs)
          if (r.message.empty()) r.message = e.what();
      }
      for (size_t j = 0; j < live.size(); ++j) recs[live[j]] = live_recs[j];
    }
  }
  const double wall = (now_seconds() - start) / double(vs.size());
  for (Record& r : recs) {
    r.ok = r.message.empty();
    r.wall_seconds = wall;
    if (!r.ok) {
      r.values.assign(s.outputs.size(), {});
      r.state_hash = 0;
    }
  }
  return recs;
}

// --- protocol ----------------------------------------------------------------------

std::string encode(const Record& r) {
  nlohmann::json j;
  j["v"] = r.variant;
  j["ok"] = r.ok;
  j["msg"] = r.message;
  j["wall"] = r.wall_seconds;
  j["hash"] = r.state_hash;
  j["traj"] = r.trajectory;
  nlohmann::json vals = nlohmann::json::array();
  for (const auto& out : r.values) {
    nlohmann::json a = nlohmann::json::array();
    for (double x : out) a.push_back(std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr));
    vals.push_back(a);
  }
  j["values"] = vals;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Record decode(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line);
  Record r;
  r.variant = j.at("v").get<int>();
  r.ok = j.at("ok").get<bool>();
  r.message = j.at("msg").get<std::string>();
  r.wall_seconds = j.at("wall").get<double>();
  r.state_hash = j.at("hash").get<uint64_t>();
  r.trajectory = j.at("traj").get<std::string>();
  for (const auto& a : j.at("values")) {
    std::vector<double> out;
    for (const auto& x : a) out.push_back(x.is_null() ? NAN : x.get<double>());
    r.values.push_back(out);
  }
  return r;
}

Stat stat(const std::vector<double>& x) {
  Stat st;
  if (x.empty()) return st;
  double mean, half;
  process::confidence_interval(x, 0.95, mean, half);
  st.mean = mean;
  st.low = x.size() > 1 ? mean - half : NAN;
  st.high = x.size() > 1 ? mean + half : NAN;
  return st;
}

}  // namespace werk::sweep
