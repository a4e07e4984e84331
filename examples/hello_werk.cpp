// Embedding Werk: load a scene, step it, read a body's pose.
#include <cstdio>

#include "werk/scene.h"
#include "werk/simulation.h"

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "scenes/drop_test.yaml";
  try {
    werk::Model model = werk::load_scene(path);
    werk::Simulation sim(model);  // CUDA when a GPU is present, else the CPU
    for (int second = 1; second <= 3; ++second) {
      sim.step(int(1.0 / model.dt));
      const werk::State& s = sim.state();
      werk::Vec3 p = s.body_pos[0];
      std::printf("t = %.1f s: %s at (%.3f, %.3f, %.3f)\n", sim.time(), model.body_name[0].c_str(), p.x, p.y, p.z);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
