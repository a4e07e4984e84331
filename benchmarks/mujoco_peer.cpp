// werk_mujoco_peer: runs a Werk benchmark scene (the same YAML file) in
// MuJoCo 2.2.2 (Debian's libmujoco-dev) and prints the same figures, the same
// text line and the same JSON keys as werk_bullet_peer.
//
//   werk_mujoco_peer SCENE [--steps N] [--warmup N] [--max-seconds T] [--json] [--matched]
//
// --max-seconds stops the timed loop early and reports the steps done, marked
// partial. --warmup N runs N untimed steps first and then resets the state
// (mj_resetData); the default is 0, as in the Bullet peer, so by default the
// first steps are timed in both peers.
//
// The scene becomes an MJCF model, compiled from memory (mjVFS + mj_loadXML):
//  - every dynamic body is a <body> with a <freejoint/> and one box or sphere
//    geom carrying the body's mass (inertia from the geom's shape);
//  - static shapes are geoms of the world body: planes as type="plane" (a
//    MuJoCo plane collides as an infinite half-space whatever its size),
//    static boxes and spheres at their position and rotation;
//  - option timestep = the scene's dt, gravity = the scene's gravity; one
//    mj_step per frame (Werk's `substeps` are not used, as in the Bullet peer).
// Everything else is MuJoCo's default: Euler integrator, Newton solver (100
// iterations, tolerance 1e-8), pyramidal friction cones, condim 3, contact
// solref (0.02, 1) and solimp defaults, margin 0, warm starting on, default
// collision filtering. MuJoCo 2.2.2 is single-threaded and has no sleeping.
// With --matched the solver is CG instead of Newton: MuJoCo's fastest
// solver that keeps Newton's overlap on the benchmark scenes (PYRAMID-20
// over 120 steps: 1.1 mm against Newton's 1.25 mm, many times faster).
//
// Where MuJoCo cannot simulate the same materials as Werk:
//  - friction: MuJoCo gives a contact the larger of the two geoms' friction
//    (Werk: sqrt(fa * fb)). Each geom gets its material's sliding friction
//    (torsional and rolling friction stay at MuJoCo's defaults and are unused
//    with condim 3), so the two rules agree whenever both materials have the
//    same friction, which holds for every contact pair in the benchmark scenes
//    except CONVEYOR-LINE, which is rejected anyway;
//  - restitution is accepted but ignored: MuJoCo contacts are soft
//    (spring-damper via solref/solimp) and have no coefficient of restitution.
//    All benchmark scenes use restitution 0;
//  - with dt = 1/60 s the default contact time constant (0.02 s) is below
//    2 dt, so MuJoCo raises it to 2 dt (its refsafe rule): contacts are
//    softer than at MuJoCo's own default timestep.
//
// Memory: MuJoCo 2.2.2 preallocates its contact list (nconmax) and constraint
// arrays (njmax rows), several of them dense (njmax x nv and njmax x njmax),
// in one mjData buffer whose size is an int. The peer starts with room for
// two contacts per body and, when a step reports a full contact list or
// constraint array, recompiles with twice the room (up to the most that keeps
// the buffer under 2 GiB), restores the state from before that step and
// repeats it; the time spent growing and repeating is not timed. A scene that
// needs more is stopped with a message (MuJoCo would go on with contacts
// dropped, with only a warning), and so is a scene whose bodies would not get
// room for one contact each: with 6 degrees of freedom per body that already
// rules out the larger piles before the first step.
//
// Failures (a scene outside the subset, too many contacts, a MuJoCo
// instability reset) exit with status 1 after a message on stderr and, with
// --json, a line {"error":"WORD"} for the benchmark table.
//
// Scene subset: gravity, dt, materials, parts, static and dynamic bodies with
// plane, box and sphere shapes, position, rotation, velocity,
// angular_velocity, mass, grid. Conveyors are rejected (MuJoCo has no surface
// velocity), and so is anything else outside the subset, with a message
// rather than silently simulated differently.
#include <mujoco/mjxmacro.h>
#include <mujoco/mujoco.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "peer_run.h"
#include "peer_scene.h"

namespace {

using peer::fail;
using peer::kPi;

struct Vec3 {
  double x = 0, y = 0, z = 0;
};
Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
Vec3 operator*(double s, Vec3 a) { return {s * a.x, s * a.y, s * a.z}; }

struct Quat {
  double w = 1, x = 0, y = 0, z = 0;
};

// Scenes are read into plain double vectors and (w, x, y, z) rotations.
struct PlainGeometry {
  using V = Vec3;
  using Q = Quat;
  static V vec(double x, double y, double z) { return Vec3{x, y, z}; }
  static Q quat(double w, double x, double y, double z) {
    double n = std::sqrt(w * w + x * x + y * y + z * z);
    if (!(n > 0)) fail("rotation: zero quaternion");
    return Quat{w / n, x / n, y / n, z / n};
  }
  static Q axis_angle(V axis, double radians) {
    double len = std::sqrt(axis.x * axis.x + axis.y * axis.y + axis.z * axis.z);
    if (!(len > 0)) fail("rotation.axis: zero axis");
    double half = 0.5 * radians, s = std::sin(half) / len;
    return Quat{std::cos(half), axis.x * s, axis.y * s, axis.z * s};
  }
  static V scale(double s, V v) { return s * v; }
};
using peer::Material;
using BodyDesc = peer::BodyDesc<Vec3, Quat>;
using Scene = peer::Scene<Vec3, Quat>;

Scene load(const std::string& path) {
  Scene sc = peer::SceneReader<PlainGeometry>("MuJoCo").load(path);
  if (!sc.belts.empty())
    fail("conveyors are not supported by the MuJoCo peer (MuJoCo has no contact surface velocity)");
  return sc;
}

// ---- MJCF ------------------------------------------------------------------

struct Dynamic {  // one dynamic body, in qpos/qvel order
  Vec3 vel, angvel;
  Quat rot;
  double z0 = 0;
};

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
std::string num3(Vec3 v) { return num(v.x) + " " + num(v.y) + " " + num(v.z); }
std::string quat(Quat q) { return num(q.w) + " " + num(q.x) + " " + num(q.y) + " " + num(q.z); }

// The <worldbody> and its contents; <size> is added per compile.
std::string world_xml(const Scene& sc, std::vector<Dynamic>& dyn, int& nbody) {
  std::string x;
  x.reserve(256 * 1024);
  for (const BodyDesc& d : sc.bodies) {
    const Material& mat = sc.materials[d.material];
    const std::string friction = " friction=\"" + num(mat.friction) + " 0.005 0.0001\"";
    std::string geom;
    if (d.shape.type == "plane") {  // plane through position, normal = rotated +z
      x += "<geom type=\"plane\" size=\"1000 1000 1\" pos=\"" + num3(d.pos) + "\" quat=\"" + quat(d.rot) + "\"" +
           friction + "/>\n";
      ++nbody;
      continue;
    }
    if (d.shape.type == "box")
      geom = "<geom type=\"box\" size=\"" + num3(d.shape.half) + "\"" + friction;
    else
      geom = "<geom type=\"sphere\" size=\"" + num(d.shape.radius) + "\"" + friction;
    if (!d.is_static) {
      double volume = d.shape.type == "box" ? 8.0 * d.shape.half.x * d.shape.half.y * d.shape.half.z
                                            : 4.0 / 3.0 * kPi * d.shape.radius * d.shape.radius * d.shape.radius;
      geom += " mass=\"" + num(d.mass > 0 ? d.mass : mat.density * volume) + "\"";
    }
    geom += "/>";
    for (int k = 0; k < d.count[2]; ++k)
      for (int j = 0; j < d.count[1]; ++j)
        for (int i = 0; i < d.count[0]; ++i) {
          Vec3 p = d.pos + Vec3{d.spacing.x * i, d.spacing.y * j, d.spacing.z * k};
          ++nbody;
          if (d.is_static) {
            // A static geom of the world body: geom pos/quat are in the world frame.
            x += geom.substr(0, geom.size() - 2) + " pos=\"" + num3(p) + "\" quat=\"" + quat(d.rot) + "\"/>\n";
          } else {
            x += "<body pos=\"" + num3(p) + "\" quat=\"" + quat(d.rot) + "\"><freejoint/>" + geom + "</body>\n";
            dyn.push_back(Dynamic{d.vel, d.angvel, d.rot, p.z});
          }
        }
  }
  return x;
}

// Bytes of the mjData buffer that mj_makeData allocates for m, computed with
// MuJoCo's own table of mjData arrays (each array padded to 8 bytes).
double data_buffer_bytes(const mjModel* m) {
  double bytes = 0;
  MJDATA_POINTERS_PREAMBLE(m)
#define X(type, name, nr, nc) bytes += 8.0 * std::ceil(double(sizeof(type)) * double(m->nr) * double(nc) / 8.0);
  MJDATA_POINTERS
#undef X
  return bytes;
}

constexpr double kMaxBuffer = 2147483647.0 - (1 << 24);  // mjData::nbuffer is an int; keep a margin

// The most constraint rows (njmax) whose mjData buffer fits kMaxBuffer with
// nv degrees of freedom: per row, the dense Jacobian arrays take 24 nv bytes
// (efc_J, efc_JT and their column indices), efc_AR and its column indices 12
// njmax bytes, plus a quarter of an mjContact and some vectors.
int max_rows(double nv) {
  const double a = 12.0, b = 24.0 * nv + 512.0 + sizeof(mjContact) / 4.0, c = 0.95 * kMaxBuffer - 64e6;
  return int((-b + std::sqrt(b * b + 4 * a * c)) / (2 * a));
}

struct Sim {
  std::string body;  // <worldbody> contents
  mjModel* m = nullptr;
  mjData* d = nullptr;
  int nconmax = 0, njmax = 0;
  bool at_limit = false;

  ~Sim() {
    if (d) mj_deleteData(d);
    if (m) mj_deleteModel(m);
  }

  mjModel* compile(const Scene& sc, int ncon, int nj) {
    std::string xml = "<mujoco>\n<option timestep=\"" + num(sc.dt) + "\" gravity=\"" + num3(sc.gravity) +
                      "\"/>\n<size nconmax=\"" + std::to_string(ncon) + "\" njmax=\"" + std::to_string(nj) +
                      "\"/>\n<worldbody>\n" + body + "</worldbody>\n</mujoco>\n";
    std::unique_ptr<mjVFS> vfs(new mjVFS);  // about 2 MB: not on the stack
    mj_defaultVFS(vfs.get());
    const char* file = "scene.xml";
    if (mj_makeEmptyFileVFS(vfs.get(), file, int(xml.size())) != 0) fail("mjVFS: cannot hold the model");
    std::memcpy(vfs->filedata[mj_findFileVFS(vfs.get(), file)], xml.data(), xml.size());
    char err[1000] = "";
    mjModel* model = mj_loadXML(file, vfs.get(), err, sizeof err);
    mj_deleteVFS(vfs.get());
    if (!model) fail(std::string("MuJoCo could not compile the scene: ") + err);
    return model;
  }

  // Compiles with room for ncon contacts (4 constraint rows each: condim 3,
  // pyramidal cone), fewer where that would not fit the int-sized mjData
  // buffer (at_limit is then set).
  int solver = mjSOL_NEWTON;

  void build(const Scene& sc, int ncon, int nv) {
    if (d) mj_deleteData(d), d = nullptr;  // free first: the buffers may be near 2 GiB
    if (m) mj_deleteModel(m), m = nullptr;
    int nj = 4 * ncon;
    at_limit = false;
    if (nj >= max_rows(nv)) nj = max_rows(nv), at_limit = true;
    mjModel* model = compile(sc, nj / 4, nj);
    while (data_buffer_bytes(model) > kMaxBuffer) {  // the estimate was short: shrink
      mj_deleteModel(model);
      nj = int(0.9 * nj);
      at_limit = true;
      model = compile(sc, nj / 4, nj);
    }
    m = model;
    m->opt.solver = solver;
    nconmax = m->nconmax;
    njmax = m->njmax;
    d = mj_makeData(m);
    if (!d) fail("mj_makeData failed");
  }

  bool unstable() const {
    return d->warning[mjWARN_BADQPOS].number > 0 || d->warning[mjWARN_BADQVEL].number > 0 ||
           d->warning[mjWARN_BADQACC].number > 0;
  }

  bool overflowed() const {
    return d->warning[mjWARN_CONTACTFULL].number > 0 || d->warning[mjWARN_CNSTRFULL].number > 0;
  }
};

// MuJoCo prints its warnings on stdout. Full buffers are handled by growing
// them (see Sim); anything else goes to stderr, off the JSON line.
void on_warning(const char* msg) {
  if (std::strncmp(msg, "Pre-allocated", 13) != 0) std::fprintf(stderr, "MuJoCo warning: %s\n", msg);
}

void set_velocities(const mjModel* m, mjData* d, const std::vector<Dynamic>& dyn) {
  for (size_t i = 0; i < dyn.size(); ++i) {
    const int adr = m->jnt_dofadr[i];  // one free joint per dynamic body, in order
    const Dynamic& b = dyn[i];
    d->qvel[adr + 0] = b.vel.x, d->qvel[adr + 1] = b.vel.y, d->qvel[adr + 2] = b.vel.z;
    // A free joint's angular velocity is in the body frame: rotate by the
    // inverse of the initial orientation.
    mjtNum q[4] = {b.rot.w, -b.rot.x, -b.rot.y, -b.rot.z}, w[3] = {b.angvel.x, b.angvel.y, b.angvel.z};
    mju_rotVecQuat(d->qvel + adr + 3, w, q);
  }
}

double max_penetration(const mjModel* m, const mjData* d) {
  double deepest = 0;
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& c = d->contact[i];
    if (m->geom_bodyid[c.geom1] == 0 && m->geom_bodyid[c.geom2] == 0) continue;  // static-static
    deepest = std::min(deepest, double(c.dist));
  }
  return -deepest;
}

uint64_t state_hash(const mjModel* m, const mjData* d, int ndyn) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over positions and orientations
  auto mix = [&](mjtNum v) {
    float f = float(v);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    for (int k = 0; k < 4; ++k) h = (h ^ ((u >> (8 * k)) & 0xff)) * 1099511628211ull;
  };
  for (int i = 0; i < ndyn; ++i)  // free joint qpos: x, y, z, qw, qx, qy, qz
    for (int k = 0; k < 7; ++k) mix(d->qpos[m->jnt_qposadr[i] + k]);
  return h;
}

int usage() {
  std::fprintf(stderr,
               "usage: werk_mujoco_peer SCENE [--steps N] [--warmup N] [--max-seconds T] [--json] [--matched]\n"
               "Runs a Werk benchmark scene in MuJoCo %s (single-threaded, default solver settings) and\n"
               "prints steps/s, body-steps/s and peak memory like `werk bench`. --matched: the CG solver.\n",
               mj_versionString());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  peer::RunArgs args;
  if (int status = peer::parse_run_args(argc, argv, args, usage); status >= 0) return status;
  const std::string& path = args.path;
  const bool json = args.json;

  // Failures print a message and, with --json, a JSON line whose "error" is
  // a short word for the benchmark table; the exit status is 1.
  auto give_up = [&](const char* word, const std::string& message) {
    std::fprintf(stderr, "werk_mujoco_peer: %s: %s\n", path.c_str(), message.c_str());
    if (json) std::printf("{\"error\":\"%s\"}\n", word);
    std::fflush(stdout);
    std::_Exit(1);
  };

  mju_user_warning = on_warning;
  Scene sc;
  std::vector<Dynamic> dyn;
  Sim& sim = *new Sim;  // never destroyed: the process ends right after the report
  int nbody = 0;
  try {
    sc = load(path);
  } catch (const std::exception& e) {
    give_up("unsupported", e.what());
  }
  sim.body = world_xml(sc, dyn, nbody);
  if (args.matched) sim.solver = mjSOL_CG;
  // Room for one contact per body (4 constraint rows) at the least: below
  // that a settled scene cannot be simulated without dropping contacts.
  const int nv = 6 * int(dyn.size());
  if (max_rows(nv) < 4 * int(dyn.size()))
    give_up("too many contacts",
            std::to_string(dyn.size()) +
                " bodies: MuJoCo 2.2.2 allocates its constraint arrays densely (njmax x nv and njmax x njmax) in "
                "one data buffer limited to 2 GiB, which leaves room for less than one contact per body; not run");
  try {
    sim.build(sc, 2 * int(dyn.size()) + 64, nv);
  } catch (const std::exception& e) {
    give_up("compile error", e.what());
  }
  const int ndyn = int(dyn.size());
  set_velocities(sim.m, sim.d, dyn);

  // One step; when MuJoCo reports a full contact list or constraint array,
  // recompile with more room, restore the state from before the step and
  // repeat it. Returns the seconds spent growing and repeating (not timed).
  std::vector<mjtNum> qpos, qvel, qacc_ws;
  double time = 0;
  auto full = [&]() {
    return "more contacts than MuJoCo 2.2.2 can hold for " + std::to_string(ndyn) + " bodies (nconmax " +
           std::to_string(sim.nconmax) + ", njmax " + std::to_string(sim.njmax) +
           ": the most whose dense constraint arrays fit its 2 GiB data buffer) at step " +
           std::to_string(int(std::lround(sim.d->time / sc.dt))) + "; stopped rather than drop contacts";
  };
  auto step = [&]() -> double {
    const bool keep = !sim.at_limit;
    if (keep) {
      qpos.assign(sim.d->qpos, sim.d->qpos + sim.m->nq);
      qvel.assign(sim.d->qvel, sim.d->qvel + sim.m->nv);
      qacc_ws.assign(sim.d->qacc_warmstart, sim.d->qacc_warmstart + sim.m->nv);
      time = sim.d->time;
    }
    auto unstable = [&]() {
      give_up("unstable", "MuJoCo found a bad position, velocity or acceleration and reset its state at step " +
                              std::to_string(int(std::lround(sim.d->time / sc.dt))));
    };
    mj_step(sim.m, sim.d);
    if (sim.unstable()) unstable();
    if (!sim.overflowed()) return 0;
    if (!keep) give_up("too many contacts", full());
    auto g0 = std::chrono::steady_clock::now();
    while (true) {
      try {
        sim.build(sc, 2 * sim.nconmax, nv);
      } catch (const std::exception& e) {
        give_up("compile error", e.what());
      }
      mju_copy(sim.d->qpos, qpos.data(), sim.m->nq);
      mju_copy(sim.d->qvel, qvel.data(), sim.m->nv);
      mju_copy(sim.d->qacc_warmstart, qacc_ws.data(), sim.m->nv);
      sim.d->time = time;
      mj_step(sim.m, sim.d);
      if (sim.unstable()) unstable();
      if (!sim.overflowed()) break;
      if (sim.at_limit) give_up("too many contacts", full());
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count();
  };

  if (args.warmup > 0) {
    for (int i = 0; i < args.warmup; ++i) step();
    mj_resetData(sim.m, sim.d);
    set_velocities(sim.m, sim.d, dyn);
  }

  peer::Report r;
  r.timing = peer::run_steps(args, step);  // growing and repeating a step is not timed
  const mjModel* m = sim.m;
  const mjData* d = sim.d;

  std::fprintf(stderr,
               "mujoco: nconmax %d, njmax %d (data buffer %.0f MB); at the end %d contacts, %d constraint rows, "
               "%d solver iterations\n",
               m->nconmax, m->njmax, d->nbuffer / 1048576.0, d->ncon, d->nefc, d->solver_iter);
  r.max_penetration = max_penetration(m, d);
  r.top_z = -1e30, r.top_z0 = -1e30;
  for (int i = 0; i < ndyn; ++i) {
    r.top_z = std::max(r.top_z, double(d->qpos[m->jnt_qposadr[i] + 2]));
    r.top_z0 = std::max(r.top_z0, dyn[i].z0);
  }
  if (ndyn == 0) r.top_z = 0;
  for (int i = 0; i < ndyn; ++i) r.mean_speed += mju_norm3(d->qvel + m->jnt_dofadr[i]);
  if (ndyn > 0) r.mean_speed /= double(ndyn);
  r.scene = sc.name;
  r.bodies = nbody;
  r.dynamic = ndyn;
  r.hash = state_hash(m, d, ndyn);
  r.backend = std::string("mujoco ") + mj_versionString() + (args.matched ? " (1 thread, CG)" : " (1 thread, Newton)");
  peer::print_report(r, json);
  std::_Exit(0);  // sim is never destroyed (see above)
}
