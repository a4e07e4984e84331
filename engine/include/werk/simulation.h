// Simulation: steps a Model's worlds on a backend.
//
//   werk::Simulation sim(werk::load_scene("line.yaml"));  // owns the model
//   sim.step(240);                                         // one second at dt = 1/240
//   auto infeed = sim.model().conveyor("infeed");
//   sim.set_conveyor_speed(infeed, 0.0f);                  // stop a belt, in place
//   werk::View<const werk::Vec3> p = sim.positions();      // world 0, no copy on the CPU
//
// A Simulation owns (or shares, through std::shared_ptr) the Model it steps,
// so it never refers to a model that has gone away. Ids come from the
// Model's lookups by name (Model::body, conveyor, joint). `world` arguments
// pick one of the options' `nworld` worlds (0-based).
//
// Errors: InputError for bad options, std::out_of_range for an id or world
// outside the simulation, RuntimeError for a backend that is not available.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "werk/export.h"
#include "werk/model.h"
#include "werk/state.h"

namespace werk {

class Backend;

struct SimulationOptions {
  // auto | cpu | cuda | emulated-cuda (auto: CUDA when a device is present;
  // emulated-cuda: the CUDA backend's algorithms on the CPU, for testing)
  std::string backend = "auto";
  int threads = 0;               // CPU backend threads; 0 = all cores
  int nworld = 1;                // worlds sharing the model
  // CPU: run each step on one thread or on all, whichever has lately been
  // faster (results are the same either way); false: always on all.
  bool adaptive_threads = true;
};

// A read-only view of one world's entries of a state array (like C++20's
// std::span, for C++17 users).
template <class T>
class View {
 public:
  View() = default;
  View(T* data, size_t size) : data_(data), size_(size) {}
  T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* begin() const { return data_; }
  T* end() const { return data_ + size_; }
  T& operator[](size_t i) const { return data_[i]; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

class WERK_API Simulation {
 public:
  // Throws InputError for an unknown backend name and RuntimeError when
  // the CUDA backend is asked for but unavailable.
  explicit Simulation(Model&& model, const SimulationOptions& options = {});           // takes the model
  explicit Simulation(const Model& model, const SimulationOptions& options = {});      // copies it
  explicit Simulation(std::shared_ptr<const Model> model, const SimulationOptions& options = {});  // shares it
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Advances all worlds by n time steps.
  void step(int n = 1);
  // The current state of every world, copied back from the backend when
  // it changed.
  const State& state();
  // Replaces the whole state (e.g. to restart or to vary initial
  // conditions); clears the contact history and wakes every body.
  void set_state(const State& state);
  // What the solver carries between steps besides the state (contact and
  // joint warm starts, sleep). set_state() followed by set_solver_memory()
  // with what state() and solver_memory() gave continues a run bit for bit
  // (on the same backend kind): checkpoints are made of the two.
  SolverMemory solver_memory();
  void set_solver_memory(const SolverMemory& memory);
  double time() const { return double(step_count_) * model_->dt; }
  int64_t step_count() const { return step_count_; }
  int nworld() const { return nworld_; }
  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& shared_model() const { return model_; }

  // --- in-place changes between steps (nothing else is copied or reset) ---
  void set_conveyor_speed(ConveyorId conveyor, float speed, int world = 0);  // m/s along the belt
  float conveyor_speed(ConveyorId conveyor, int world = 0);
  void set_motor_target(JointId joint, float target, int world = 0);  // rad/s, m/s, rad or m (see the joint's motor)
  float motor_target(JointId joint, int world = 0);
  // Moves a body (teleports it) and wakes it; its velocities are kept.
  void set_body_pose(BodyId body, Vec3 position, Quat orientation, int world = 0);
  // Sets a body's linear (m/s) and angular (rad/s, world frame) velocity and wakes it.
  void set_body_velocity(BodyId body, Vec3 velocity, Vec3 angular_velocity, int world = 0);

  // --- bodies that come and go (idle bodies of part pools) ----------------
  // Activates a body at a pose and velocity; O(1), nothing is allocated.
  void place_body(BodyId body, Vec3 position, Quat orientation, Vec3 velocity, Vec3 angular_velocity, int world = 0);
  // Deactivates a body: it leaves collision, solver and integration and
  // rests at its initial (parking) pose with zero velocity; O(1).
  void remove_body(BodyId body, int world = 0);
  bool body_active(BodyId body, int world = 0);

  // --- views of one world's bodies (model().nbody() entries each) ---------
  // On the CPU backend these point straight into the backend's arrays: no
  // copy, the same pointer for the simulation's life, updated in place by
  // step(). On CUDA each call copies the state to the host first (one copy
  // per step at most) and the view stays valid until the next step().
  View<const Vec3> positions(int world = 0);
  View<const Quat> orientations(int world = 0);
  View<const Vec3> velocities(int world = 0);
  View<const Vec3> angular_velocities(int world = 0);
  // 1 for active bodies, 0 for inactive ones (see place_body).
  View<const uint8_t> active(int world = 0);
  // True when the views above read the backend's memory without a copy.
  bool views_are_zero_copy() const;
  // state_hash() of the current state (see werk/state.h).
  uint64_t hash();

  // "cpu(openmp, 2 threads)" or "cuda(<device>)".
  std::string backend_name() const;
  // Broadphase pairs (candidates: pairs of active shapes whose boxes,
  // grown by a slack, overlapped when the pairs were last found), contact
  // manifolds (touching pairs) and contact points of the last step.
  int64_t last_pair_count() const;
  int64_t last_manifold_count() const;
  int64_t last_contact_count() const;
  // Manifolds of the last step reused from the step before, where the two
  // shapes had not moved relative to each other (docs/architecture.md).
  int64_t last_reused_manifold_count() const;
  // Deepest overlap between touching shapes at the start of the last step (m).
  float last_max_penetration() const;
  // Constraint graph colours of the last step.
  int last_color_count() const;
  // Device work since the simulation started, counted the same way on
  // every backend: algorithm launches, host-device synchronisations (values
  // read back) and allocations (see docs/architecture.md); and the steps
  // the CPU ran on more than one thread (the engine chooses one thread or
  // all, whichever is faster at the moment); and the steps in which some
  // world solved mixed masses (bodies ten times apart in mass touching:
  // stiffer contacts and more solver passes, see docs/architecture.md).
  struct DeviceWork {
    int64_t launches = 0, syncs = 0, allocations = 0;
    int64_t team_steps = 0;
    int64_t mixed_steps = 0;
  };
  DeviceWork device_work() const;
  size_t device_bytes() const;

 private:
  void check_world(int world) const;
  size_t entry(int32_t index, int count, const char* what, int world) const;
  template <class T>
  View<const T> view(int world, int field);

  std::shared_ptr<const Model> model_;  // declared first: outlives the backend
  std::unique_ptr<Backend> backend_;
  State state_;
  bool state_current_ = true;
  int64_t step_count_ = 0;
  int nworld_ = 1;
};

}  // namespace werk
