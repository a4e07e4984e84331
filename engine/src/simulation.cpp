// Simulation: chooses a backend, keeps a host copy of the state and the
// in-place setters and views of the public API.
#include "werk/simulation.h"

#include <stdexcept>

#include "backend.h"
#include "werk/error.h"
#include "werk/version.h"

namespace werk {

Simulation::Simulation(Model&& model, const SimulationOptions& options)
    : Simulation(std::make_shared<const Model>(std::move(model)), options) {}

Simulation::Simulation(const Model& model, const SimulationOptions& options)
    : Simulation(std::make_shared<const Model>(model), options) {}

Simulation::Simulation(std::shared_ptr<const Model> model, const SimulationOptions& options) : model_(std::move(model)) {
  if (!model_) throw InputError("argument", 0, 0, "model: expected a model, found none (null pointer)");
  if (options.nworld < 1) throw InputError("command line", 0, 0, "worlds: expected at least 1, found " + std::to_string(options.nworld));
  if (options.threads < 0) throw InputError("command line", 0, 0, "threads: expected a number >= 0, found " + std::to_string(options.threads));
  const std::string& kind = options.backend;
  if (kind != "auto" && kind != "cpu" && kind != "cuda" && kind != "emulated-cuda")
    throw InputError("command line", 0, 0, "backend: expected auto, cpu, cuda or emulated-cuda, found '" + kind + "'");
  bool use_cuda = kind == "cuda" || (kind == "auto" && cuda_device_available());
  if (use_cuda) {
#ifdef WERK_HAVE_CUDA
    backend_ = cuda::make_backend();
#else
    throw RuntimeError("the CUDA backend was not compiled into this build (backends: " + compiled_backends() + ")");
#endif
  } else if (kind == "emulated-cuda") {
    backend_ = emulated::make_backend(options.threads, options.adaptive_threads);
  } else {
    backend_ = cpu::make_backend(options.threads, options.adaptive_threads);
  }
  nworld_ = options.nworld;
  state_ = make_state(*model_, options.nworld);
  backend_->load(*model_, state_);
}

Simulation::~Simulation() = default;

void Simulation::step(int n) {
  if (n <= 0) return;
  backend_->step(n);
  step_count_ += n;
  state_current_ = false;
}

const State& Simulation::state() {
  if (!state_current_) {
    backend_->read_state(state_);
    state_current_ = true;
  }
  return state_;
}

void Simulation::set_state(const State& state) {
  if (state.nworld != state_.nworld || state.nbody != state_.nbody)
    throw RuntimeError("set_state: expected a state of the same shape as the simulation's");
  state_ = state;
  if (state_.body_active.size() != state_.body_pos.size()) state_.body_active = make_state(*model_, nworld_).body_active;
  step_count_ = state.step;
  backend_->write_state(state_);
  state_current_ = true;
}

SolverMemory Simulation::solver_memory() {
  SolverMemory m;
  backend_->read_memory(m);
  return m;
}

void Simulation::set_solver_memory(const SolverMemory& memory) { backend_->write_memory(memory); }

void Simulation::check_world(int world) const {
  if (world < 0 || world >= nworld_)
    throw std::out_of_range("world " + std::to_string(world) + " is out of range: the simulation has " +
                            std::to_string(nworld_) + (nworld_ == 1 ? " world" : " worlds"));
}

// The State index of entry `index` (of `count` per world) of `world`;
// throws std::out_of_range for either outside the simulation.
size_t Simulation::entry(int32_t index, int count, const char* what, int world) const {
  if (index < 0 || index >= count)
    throw std::out_of_range(std::string(what) + " id " + std::to_string(index) + " is out of range: the model has " +
                            std::to_string(count) + " (look ids up by name with Model::" + what + "())");
  check_world(world);
  return size_t(world) * size_t(count) + size_t(index);
}

// Setters write the backend's entry and, when the host copy is current,
// the same entry there, so state() stays current without a copy.
void Simulation::set_conveyor_speed(ConveyorId c, float speed, int world) {
  const size_t i = entry(c.index, model_->nconveyor(), "conveyor", world);
  backend_->set_conveyor_speed(i, speed);
  if (state_current_) state_.conveyor_speed[i] = speed;
}

float Simulation::conveyor_speed(ConveyorId c, int world) {
  const size_t i = entry(c.index, model_->nconveyor(), "conveyor", world);
  const HostState h = backend_->host_state();
  return h.conveyor_speed ? h.conveyor_speed[i] : state().conveyor_speed[i];
}

void Simulation::set_motor_target(JointId j, float target, int world) {
  const size_t i = entry(j.index, model_->njoint(), "joint", world);
  if (model_->joint_motor[j.index] == 0)
    throw InputError(model_->source_file, 0, 0, "joint '" + model_->joint_name[j.index] + "' has no motor: its target cannot be set");
  backend_->set_motor_target(i, target);
  if (state_current_) state_.joint_motor_target[i] = target;
}

float Simulation::motor_target(JointId j, int world) {
  const size_t i = entry(j.index, model_->njoint(), "joint", world);
  const HostState h = backend_->host_state();
  return h.motor_target ? h.motor_target[i] : state().joint_motor_target[i];
}

void Simulation::set_body_pose(BodyId b, Vec3 position, Quat orientation, int world) {
  const size_t i = entry(b.index, model_->nbody(), "body", world);
  const HostState h = backend_->host_state();
  if (!h.vel) state();  // CUDA: the host copy has the velocities to keep
  backend_->set_body(i, position, orientation, h.vel ? h.vel[i] : state_.body_vel[i],
                     h.angvel ? h.angvel[i] : state_.body_angvel[i]);
  if (state_current_) state_.body_pos[i] = position, state_.body_quat[i] = orientation;
}

void Simulation::set_body_velocity(BodyId b, Vec3 velocity, Vec3 angular_velocity, int world) {
  const size_t i = entry(b.index, model_->nbody(), "body", world);
  const HostState h = backend_->host_state();
  if (!h.pos) state();  // CUDA: the host copy has the pose to keep
  backend_->set_body(i, h.pos ? h.pos[i] : state_.body_pos[i], h.quat ? h.quat[i] : state_.body_quat[i], velocity,
                     angular_velocity);
  if (state_current_) state_.body_vel[i] = velocity, state_.body_angvel[i] = angular_velocity;
}

void Simulation::place_body(BodyId b, Vec3 position, Quat orientation, Vec3 velocity, Vec3 angular_velocity, int world) {
  const size_t i = entry(b.index, model_->nbody(), "body", world);
  if (model_->body_kind[b.index] != BodyKind::Dynamic)
    throw InputError(model_->source_file, 0, 0, "body '" + model_->body_name[b.index] + "' is not dynamic: it cannot be placed");
  backend_->set_active(i, true);
  backend_->set_body(i, position, orientation, velocity, angular_velocity);
  if (state_current_) {
    state_.body_pos[i] = position, state_.body_quat[i] = orientation;
    state_.body_vel[i] = velocity, state_.body_angvel[i] = angular_velocity;
    state_.body_active[i] = 1;
  }
}

void Simulation::remove_body(BodyId b, int world) {
  const size_t i = entry(b.index, model_->nbody(), "body", world);
  if (model_->body_kind[b.index] != BodyKind::Dynamic)
    throw InputError(model_->source_file, 0, 0, "body '" + model_->body_name[b.index] + "' is not dynamic: it cannot be removed");
  const Vec3 zero{0, 0, 0};
  backend_->set_active(i, false);
  backend_->set_body(i, model_->body_pos0[b.index], model_->body_quat0[b.index], zero, zero);
  if (state_current_) {
    state_.body_pos[i] = model_->body_pos0[b.index], state_.body_quat[i] = model_->body_quat0[b.index];
    state_.body_vel[i] = zero, state_.body_angvel[i] = zero;
    state_.body_active[i] = 0;
  }
}

bool Simulation::body_active(BodyId b, int world) {
  const size_t i = entry(b.index, model_->nbody(), "body", world);
  const HostState h = backend_->host_state();
  return (h.active ? h.active[i] : state().body_active[i]) != 0;
}

View<const uint8_t> Simulation::active(int world) {
  check_world(world);
  const size_t nbody = size_t(model_->nbody()), first = size_t(world) * nbody;
  const HostState h = backend_->host_state();
  if (h.active) return {h.active + first, nbody};
  return {state().body_active.data() + first, nbody};
}

template <class T>
View<const T> Simulation::view(int world, int field) {
  check_world(world);
  const size_t nbody = size_t(model_->nbody()), first = size_t(world) * nbody;
  const HostState h = backend_->host_state();
  const void* direct[] = {h.pos, h.quat, h.vel, h.angvel};
  if (direct[field]) return {static_cast<const T*>(direct[field]) + first, nbody};
  const State& s = state();
  const void* copied[] = {s.body_pos.data(), s.body_quat.data(), s.body_vel.data(), s.body_angvel.data()};
  return {static_cast<const T*>(copied[field]) + first, nbody};
}

View<const Vec3> Simulation::positions(int world) { return view<Vec3>(world, 0); }
View<const Quat> Simulation::orientations(int world) { return view<Quat>(world, 1); }
View<const Vec3> Simulation::velocities(int world) { return view<Vec3>(world, 2); }
View<const Vec3> Simulation::angular_velocities(int world) { return view<Vec3>(world, 3); }
bool Simulation::views_are_zero_copy() const { return backend_->host_state().pos != nullptr || model_->nbody() == 0; }
uint64_t Simulation::hash() { return state_hash(state()); }

std::string Simulation::backend_name() const { return backend_->name(); }
int64_t Simulation::last_pair_count() const { return backend_->stats().pairs; }
int64_t Simulation::last_manifold_count() const { return backend_->stats().manifolds; }
int64_t Simulation::last_contact_count() const { return backend_->stats().contacts; }
int64_t Simulation::last_reused_manifold_count() const { return backend_->stats().reused; }
float Simulation::last_max_penetration() const { return backend_->stats().max_penetration; }
int Simulation::last_color_count() const { return backend_->stats().colors; }
Simulation::DeviceWork Simulation::device_work() const {
  const StepStats s = backend_->stats();
  return {s.total_launches, s.total_syncs, s.total_allocations, s.total_team_steps, s.total_mixed_steps};
}
size_t Simulation::device_bytes() const { return backend_->device_bytes(); }

}  // namespace werk
