// Embedding Werk: load a scene, step it, read a body's pose.
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "werk/scene.h"
#include "werk/simulation.h"

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "scenes/drop_test.yaml";
  try {
    werk::Model model = werk::load_scene(path);
    werk::Simulation sim(model);  // CUDA when a GPU is present, else the CPU
    const int crate = model.body_index("crate");
    if (crate < 0) throw std::runtime_error(std::string(path) + ": no body named 'crate'");
    for (int second = 1; second <= 3; ++second) {
      sim.step(int(std::lround(1.0 / model.dt)));
      werk::Vec3 p = sim.state().body_pos[crate];
      std::printf("t = %.1f s: crate at (%.3f, %.3f, %.3f)\n", sim.time(), p.x, p.y, p.z);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
