// Backend: where the step runs. One pipeline source (pipeline.inl) is
// compiled twice, for Thrust's OpenMP system (backend_cpu.cpp, g++) and
// its CUDA system (backend_cuda.cu, nvcc); each lives in its own namespace.
#pragma once

#include <memory>
#include <string>

#include "werk/model.h"
#include "werk/state.h"

namespace werk {

// Counters of the last step, for benchmarks and diagnostics.
struct StepStats {
  int64_t pairs = 0;     // broadphase pairs
  int64_t contacts = 0;  // contact points in manifolds
  int64_t manifolds = 0;  // touching pairs (contact manifolds)
  int64_t reused = 0;     // of those, manifolds reused from the step before (manifold_reuse.h)
  int colors = 0;        // constraint graph colours
  float max_penetration = 0;  // deepest overlap among contact points at step start (m)
  // Device work of the last step, counted by the pipeline the same way on
  // every backend: algorithm launches (a sort or scan counts once, though
  // CUDA runs it as a few kernels; a CPU solver pass over all colours is
  // one parallel region), host-device synchronisations (every value read
  // back to the host) and allocations (device vectors growing, temporary
  // storage the cache had no block for).
  int64_t launches = 0;
  int64_t syncs = 0;
  int64_t allocations = 0;
  int threads = 1;  // CPU threads the last step ran on (team_tuner.h)
  // The same, summed over every step since the backend was loaded.
  int64_t total_launches = 0, total_syncs = 0, total_allocations = 0;
  int64_t total_team_steps = 0;  // steps run on more than one CPU thread
  int64_t total_mixed_steps = 0; // steps in which some world had mixed masses (kMixedMassRatio)
};

// The backend's own state arrays (nworld x nbody) when they live in host
// memory, else all null.
struct HostState {
  const Vec3* pos = nullptr;
  const Quat* quat = nullptr;
  const Vec3* vel = nullptr;
  const Vec3* angvel = nullptr;
  const float* conveyor_speed = nullptr;  // nworld x nconveyor
  const float* motor_target = nullptr;    // nworld x njoint
  const uint8_t* active = nullptr;        // nworld x nbody
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Uploads the model and a state; the model must outlive the backend.
  virtual void load(const Model& model, const State& state) = 0;
  // Advances every world by n steps.
  virtual void step(int n) = 0;
  // Copies the device state into `state` (step count and time included).
  virtual void read_state(State& state) = 0;
  virtual void write_state(const State& state) = 0;
  // The memory carried between steps (see SolverMemory); writing it after
  // write_state() restores a run exactly where read_memory() left it.
  virtual void read_memory(SolverMemory& memory) = 0;
  virtual void write_memory(const SolverMemory& memory) = 0;
  // Single entries written in place, indexed like the State's arrays;
  // contact history and other bodies' sleep are kept. set_body wakes the body.
  virtual void set_conveyor_speed(size_t index, float speed) = 0;
  virtual void set_motor_target(size_t index, float target) = 0;
  virtual void set_body(size_t index, Vec3 pos, Quat quat, Vec3 vel, Vec3 angvel) = 0;
  // Activates or deactivates a body (O(1), no allocation): an inactive body
  // is not collided, solved or integrated until it is activated again.
  virtual void set_active(size_t index, bool active) = 0;
  // Pointers into the state arrays, for reads without a copy (CPU only).
  virtual HostState host_state() = 0;
  virtual StepStats stats() const = 0;
  // Bytes held on the device for model and state.
  virtual size_t device_bytes() const = 0;
  virtual std::string name() const = 0;
};

// adaptive: each step on one thread or all, whichever is faster now
// (team_tuner.h); otherwise always on all.
namespace cpu {
std::unique_ptr<Backend> make_backend(int threads, bool adaptive = true);
}
namespace emulated {
std::unique_ptr<Backend> make_backend(int threads, bool adaptive = true);
}
#ifdef WERK_HAVE_CUDA
namespace cuda {
std::unique_ptr<Backend> make_backend();
bool device_present();
}
#endif

}  // namespace werk
