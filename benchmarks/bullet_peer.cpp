// werk_bullet_peer: runs a Werk benchmark scene (the same YAML file) in
// Bullet 3.24 and prints the same figures as `werk bench`.
//
//   werk_bullet_peer SCENE [--steps N] [--max-seconds T] [--json] [--matched]
//
// --max-seconds stops the timed loop early and reports the steps done, marked
// partial (for Bullet on the largest piles).
//
// The world is Bullet's default rigid-body setup: btDiscreteDynamicsWorld,
// btDbvtBroadphase, btDefaultCollisionConfiguration and
// btSequentialImpulseConstraintSolver with its default settings (10
// iterations, default ERP, split impulse, warm starting, collision margins),
// single-threaded (Debian's Bullet is built without a task scheduler, so
// it runs on one thread only), one fixed step per frame:
// stepSimulation(dt, 0). With --matched, the step is cut into Werk's
// sub-steps for the scene (its `substeps`, or Werk's default
// ceil(480 dt)): stepSimulation(dt, N, dt / N), which takes Bullet to
// Werk's overlap and keeps its pyramids standing. Sleeping is
// off (DISABLE_DEACTIVATION on every body): the benchmark measures the solver
// with every body awake, as Werk runs it.
//
// Two things are set to match Werk rather than Bullet's defaults, so that both
// engines simulate the same materials:
//  - material combine rules: friction sqrt(fa * fb), restitution max(ea, eb)
//    (Werk's, see kernels/contact_builder.h; Bullet's default is fa * fb);
//  - Werk's scene `substeps` are used only with --matched (see above).
//
// Conveyors: each straight belt is a static box whose top face lies on the
// path (0.05 m thick, as Werk compiles it). The belt's surface velocity is
// given with Bullet's contact-added callback: the belt has
// CF_CUSTOM_MATERIAL_CALLBACK, and gContactAddedCallback sets each contact's
// m_lateralFrictionDir1 along the belt with m_contactMotion1 = belt speed and
// the BT_CONTACT_FLAG_LATERAL_FRICTION_INITIALIZED flag. Bullet only honours
// those directions with SOLVER_ENABLE_FRICTION_DIRECTION_CACHING, and then
// only solves the directions given, so scenes with conveyors also enable
// SOLVER_USE_2_FRICTION_DIRECTIONS (the second direction is across the belt,
// with zero target motion). Scenes without conveyors keep the default solver
// mode.
//
// Scene subset: gravity, dt, materials, parts, static and dynamic bodies with
// plane, box and sphere shapes, position, rotation, velocity,
// angular_velocity, mass, grid, and straight conveyors. Anything else is
// rejected with a message rather than silently simulated differently.
#include <btBulletDynamicsCommon.h>

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

using peer::kPi;
constexpr double kBeltThickness = 0.05;  // as Werk compiles conveyors

// Scenes are read into Bullet's own vector and rotation types.
struct BulletGeometry {
  using V = btVector3;
  using Q = btQuaternion;
  static V vec(double x, double y, double z) { return btVector3(btScalar(x), btScalar(y), btScalar(z)); }
  static Q quat(double w, double x, double y, double z) {
    return btQuaternion(btScalar(x), btScalar(y), btScalar(z), btScalar(w)).normalized();
  }
  static Q axis_angle(V axis, double radians) { return btQuaternion(axis.normalized(), btScalar(radians)); }
  static V scale(double s, V v) { return btScalar(s) * v; }
};
using peer::Material;
using ShapeDesc = peer::ShapeDesc<btVector3>;
using BodyDesc = peer::BodyDesc<btVector3, btQuaternion>;
using BeltDesc = peer::BeltDesc<btVector3>;
using Scene = peer::Scene<btVector3, btQuaternion>;

Scene load(const std::string& path) { return peer::SceneReader<BulletGeometry>("Bullet").load(path); }

// Werk's combine rules (kernels/contact_builder.h).
btScalar combined_friction(const btCollisionObject* a, const btCollisionObject* b) {
  return btSqrt(a->getFriction() * b->getFriction());
}
btScalar combined_restitution(const btCollisionObject* a, const btCollisionObject* b) {
  return btMax(a->getRestitution(), b->getRestitution());
}

// Belt surface velocity; a belt's collision object carries its index + 1 in
// the user index (0 elsewhere).
struct Belt {
  btVector3 dir;
  btScalar speed;
};
std::vector<Belt> g_belts;

bool belt_contact(btManifoldPoint& cp, const btCollisionObjectWrapper* w0, int, int, const btCollisionObjectWrapper* w1,
                  int, int) {
  // w0 is the manifold's body 0 (Bullet un-swaps the wrappers before the call).
  int b0 = w0->getCollisionObject()->getUserIndex(), b1 = w1->getCollisionObject()->getUserIndex();
  if (b0 <= 0 && b1 <= 0) return false;
  const Belt& belt = g_belts[(b0 > 0 ? b0 : b1) - 1];
  // The solver drives (v_body0 - v_body1) . dir1 to m_contactMotion1: the
  // part must move at +speed relative to the belt.
  btScalar motion = b0 > 0 ? -belt.speed : belt.speed;
  const btVector3& n = cp.m_normalWorldOnB;
  btVector3 d = belt.dir - n * n.dot(belt.dir);
  if (d.length2() < btScalar(1e-8)) return false;
  d.normalize();
  cp.m_lateralFrictionDir1 = d;
  cp.m_lateralFrictionDir2 = d.cross(n).normalized();
  cp.m_contactMotion1 = motion;
  cp.m_contactMotion2 = 0;
  cp.m_contactPointFlags |= BT_CONTACT_FLAG_LATERAL_FRICTION_INITIALIZED;
  return true;
}

struct World {
  btDefaultCollisionConfiguration config;
  btCollisionDispatcher dispatcher{&config};
  btDbvtBroadphase broadphase;
  btSequentialImpulseConstraintSolver solver;
  btDiscreteDynamicsWorld world{&dispatcher, &broadphase, &solver, &config};
  std::vector<std::unique_ptr<btCollisionShape>> shapes;
  std::vector<std::unique_ptr<btDefaultMotionState>> motions;
  std::vector<std::unique_ptr<btRigidBody>> bodies;
  std::vector<btRigidBody*> dynamic;
  int nbody = 0;
  btScalar top_z0 = -1e30f;

  btRigidBody* add(btCollisionShape* shape, const btTransform& xf, btScalar mass, const Material& mat) {
    btVector3 inertia(0, 0, 0);
    if (mass > 0) shape->calculateLocalInertia(mass, inertia);
    motions.push_back(std::make_unique<btDefaultMotionState>(xf));
    btRigidBody::btRigidBodyConstructionInfo info(mass, motions.back().get(), shape, inertia);
    info.m_friction = btScalar(mat.friction);
    info.m_restitution = btScalar(mat.restitution);
    bodies.push_back(std::make_unique<btRigidBody>(info));
    btRigidBody* b = bodies.back().get();
    b->setActivationState(DISABLE_DEACTIVATION);
    world.addRigidBody(b);
    ++nbody;
    return b;
  }

  explicit World(const Scene& sc) {
    world.setGravity(sc.gravity);
    std::map<std::string, btCollisionShape*> cache;  // one shape per distinct size, as users share them
    auto shape_for = [&](const ShapeDesc& s) -> btCollisionShape* {
      char key[128];
      std::snprintf(key, sizeof key, "%s %.9g %.9g %.9g %.9g", s.type.c_str(), double(s.half.x()), double(s.half.y()),
                    double(s.half.z()), s.radius);
      auto it = cache.find(key);
      if (it != cache.end()) return it->second;
      if (s.type == "box")
        shapes.push_back(std::make_unique<btBoxShape>(s.half));
      else
        shapes.push_back(std::make_unique<btSphereShape>(btScalar(s.radius)));
      return cache[key] = shapes.back().get();
    };
    for (const BodyDesc& d : sc.bodies) {
      const Material& mat = sc.materials[d.material];
      if (d.shape.type == "plane") {  // plane through position, normal = rotated +z
        btVector3 normal = quatRotate(d.rot, btVector3(0, 0, 1));
        shapes.push_back(std::make_unique<btStaticPlaneShape>(normal, normal.dot(d.pos)));
        add(shapes.back().get(), btTransform::getIdentity(), 0, mat);
        continue;
      }
      btCollisionShape* shape = shape_for(d.shape);
      btScalar mass = 0;
      if (!d.is_static) {
        double volume = d.shape.type == "box" ? 8.0 * d.shape.half.x() * d.shape.half.y() * d.shape.half.z()
                                              : 4.0 / 3.0 * kPi * d.shape.radius * d.shape.radius * d.shape.radius;
        mass = btScalar(d.mass > 0 ? d.mass : mat.density * volume);
      }
      for (int k = 0; k < d.count[2]; ++k)
        for (int j = 0; j < d.count[1]; ++j)
          for (int i = 0; i < d.count[0]; ++i) {
            btVector3 p = d.pos + btVector3(d.spacing.x() * i, d.spacing.y() * j, d.spacing.z() * k);
            btRigidBody* b = add(shape, btTransform(d.rot, p), mass, mat);
            if (!d.is_static) {
              b->setLinearVelocity(d.vel);
              b->setAngularVelocity(d.angvel);
              dynamic.push_back(b);
              top_z0 = btMax(top_z0, p.z());
            }
          }
    }
    g_belts.clear();
    for (const BeltDesc& c : sc.belts) {
      btVector3 dir = (c.to - c.from).normalized();
      btVector3 side = btVector3(0, 0, 1).cross(dir).normalized();
      btVector3 up = dir.cross(side);
      btMatrix3x3 basis(dir.x(), side.x(), up.x(), dir.y(), side.y(), up.y(), dir.z(), side.z(), up.z());
      btScalar len = (c.to - c.from).length();
      shapes.push_back(std::make_unique<btBoxShape>(
          btVector3(btScalar(0.5) * len, btScalar(0.5 * c.width), btScalar(0.5 * kBeltThickness))));
      btVector3 centre = btScalar(0.5) * (c.from + c.to) - btScalar(0.5 * kBeltThickness) * up;
      btRigidBody* b = add(shapes.back().get(), btTransform(basis, centre), 0, sc.materials[c.material]);
      b->setCollisionFlags(b->getCollisionFlags() | btCollisionObject::CF_CUSTOM_MATERIAL_CALLBACK);
      g_belts.push_back(Belt{dir, btScalar(c.speed)});
      b->setUserIndex(int(g_belts.size()));
    }
    if (!sc.belts.empty()) {
      gContactAddedCallback = belt_contact;
      world.getSolverInfo().m_solverMode |= SOLVER_ENABLE_FRICTION_DIRECTION_CACHING | SOLVER_USE_2_FRICTION_DIRECTIONS;
    } else {
      gContactAddedCallback = nullptr;
    }
  }
};

double max_penetration(btCollisionDispatcher& d) {
  btScalar deepest = 0;
  for (int i = 0; i < d.getNumManifolds(); ++i) {
    btPersistentManifold* m = d.getManifoldByIndexInternal(i);
    for (int j = 0; j < m->getNumContacts(); ++j) deepest = btMin(deepest, m->getContactPoint(j).getDistance());
  }
  return -double(deepest);
}

uint64_t state_hash(const std::vector<btRigidBody*>& bodies) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over positions and orientations
  auto mix = [&](btScalar v) {
    float f = float(v);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    for (int k = 0; k < 4; ++k) h = (h ^ ((u >> (8 * k)) & 0xff)) * 1099511628211ull;
  };
  for (btRigidBody* b : bodies) {
    const btTransform& t = b->getWorldTransform();
    for (int k = 0; k < 3; ++k) mix(t.getOrigin()[k]);
    btQuaternion q = t.getRotation();
    mix(q.w()), mix(q.x()), mix(q.y()), mix(q.z());
  }
  return h;
}

int usage() {
  std::fprintf(stderr,
               "usage: werk_bullet_peer SCENE [--steps N] [--warmup N] [--max-seconds T] [--json] [--matched]\n"
               "Runs a Werk benchmark scene in Bullet %d.%02d (single-threaded, sleeping off) and prints\n"
               "steps/s, body-steps/s and peak memory like `werk bench`. --matched: Werk's sub-steps.\n",
               BT_BULLET_VERSION / 100, BT_BULLET_VERSION % 100);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  peer::RunArgs args;
  if (int status = peer::parse_run_args(argc, argv, args, usage); status >= 0) return status;
  const std::string& path = args.path;

  Scene sc;
  try {
    sc = load(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "werk_bullet_peer: %s: %s\n", path.c_str(), e.what());
    return 1;
  }
  gCalculateCombinedFrictionCallback = combined_friction;
  gCalculateCombinedRestitutionCallback = combined_restitution;
  const btScalar dt = btScalar(sc.dt);

  // --warmup is accepted for symmetry: a Bullet world cannot be reset
  // cheaply, so its first steps are timed.
  // The world is never destroyed: tearing down 65k bodies one by one is
  // quadratic in Bullet, and the process ends right after the report.
  World& w = *new World(sc);
  peer::Report r;
  const int substeps = args.matched ? sc.substeps : 1;
  r.timing = peer::run_steps(args, [&] {
    if (substeps == 1)
      w.world.stepSimulation(dt, 0);
    else
      w.world.stepSimulation(dt, substeps, dt / btScalar(substeps));
    return 0.0;
  });

  r.max_penetration = max_penetration(w.dispatcher);
  btScalar top = -1e30f;
  for (btRigidBody* b : w.dynamic) top = btMax(top, b->getWorldTransform().getOrigin().z());
  if (w.dynamic.empty()) top = 0;
  for (btRigidBody* b : w.dynamic) r.mean_speed += b->getLinearVelocity().length();  // conveyor check: the belt speed
  if (!w.dynamic.empty()) r.mean_speed /= double(w.dynamic.size());
  r.scene = sc.name;
  r.bodies = w.nbody;
  r.dynamic = int(w.dynamic.size());
  r.top_z = double(top);
  r.top_z0 = double(w.top_z0);
  r.hash = state_hash(w.dynamic);
  char backend[96];
  std::snprintf(backend, sizeof backend, "bullet %d.%02d (1 thread, %d sub-step%s)", BT_BULLET_VERSION / 100,
                BT_BULLET_VERSION % 100, substeps, substeps == 1 ? "" : "s");
  r.backend = backend;
  peer::print_report(r, args.json);
  std::_Exit(0);
}
