// Simulation: chooses a backend and keeps a host copy of the state.
#include "werk/simulation.h"

#include "backend.h"
#include "werk/error.h"
#include "werk/version.h"

namespace werk {

Simulation::Simulation(const Model& model, const SimulationOptions& options) : model_(model) {
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
    backend_ = emulated::make_backend(options.threads);
  } else {
    backend_ = cpu::make_backend(options.threads);
  }
  state_ = make_state(model, options.nworld);
  backend_->load(model, state_);
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
  step_count_ = state.step;
  backend_->write_state(state_);
  state_current_ = true;
}

std::string Simulation::backend_name() const { return backend_->name(); }
int64_t Simulation::last_pair_count() const { return backend_->stats().pairs; }
int64_t Simulation::last_manifold_count() const { return backend_->stats().manifolds; }
int64_t Simulation::last_contact_count() const { return backend_->stats().contacts; }
float Simulation::last_max_penetration() const { return backend_->stats().max_penetration; }
int Simulation::last_color_count() const { return backend_->stats().colors; }
Simulation::DeviceWork Simulation::device_work() const {
  const StepStats s = backend_->stats();
  return {s.total_launches, s.total_syncs, s.total_allocations};
}
size_t Simulation::device_bytes() const { return backend_->device_bytes(); }

}  // namespace werk
