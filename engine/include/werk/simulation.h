// Simulation: steps a Model's worlds on a backend.
//
//   werk::Model model = werk::load_scene("line.yaml");
//   werk::Simulation sim(model);               // CPU or CUDA, whichever is best
//   sim.step(240);                              // one second at dt = 1/240
//   const werk::State& s = sim.state();
#pragma once

#include <memory>
#include <string>

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
};

class Simulation {
 public:
  // Throws InputError for an unknown backend name and RuntimeError when
  // the CUDA backend is asked for but unavailable.
  explicit Simulation(const Model& model, const SimulationOptions& options = {});
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Advances all worlds by n time steps.
  void step(int n = 1);
  // The current state, copied back from the device when it changed.
  const State& state();
  // Replaces the state (e.g. to restart or to vary initial conditions).
  void set_state(const State& state);
  double time() const { return double(step_count_) * model_.dt; }
  int64_t step_count() const { return step_count_; }
  const Model& model() const { return model_; }
  // "cpu(openmp, 2 threads)" or "cuda(<device>)".
  std::string backend_name() const;
  // Broadphase pairs, contact manifolds (touching pairs) and contact
  // points of the last step.
  int64_t last_pair_count() const;
  int64_t last_manifold_count() const;
  int64_t last_contact_count() const;
  // Deepest overlap between touching shapes at the start of the last step (m).
  float last_max_penetration() const;
  // Constraint graph colours of the last step.
  int last_color_count() const;
  // Device work since the simulation started, counted the same way on
  // every backend: algorithm launches, host-device synchronisations (values
  // read back) and allocations (see docs/architecture.md).
  struct DeviceWork {
    int64_t launches = 0, syncs = 0, allocations = 0;
  };
  DeviceWork device_work() const;
  size_t device_bytes() const;

 private:
  const Model& model_;
  std::unique_ptr<Backend> backend_;
  State state_;
  bool state_current_ = true;
  int64_t step_count_ = 0;
};

}  // namespace werk
