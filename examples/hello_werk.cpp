// Embedding Werk from C++: load a scene, step it, read a body's pose.
//
//   hello_werk [SCENE] [BODY] [STEPS]
// prints the body's position once a simulated second, then the state hash
// after STEPS steps (the same number `werk bench SCENE --steps STEPS
// --warmup 0` prints).
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "werk/error.h"
#include "werk/scene.h"
#include "werk/simulation.h"

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "scenes/drop_test.yaml";
  const std::string body = argc > 2 ? argv[2] : "crate";
  const int steps = argc > 3 ? std::atoi(argv[3]) : 720;
  try {
    werk::Simulation sim(werk::load_scene(path));  // owns the model; CUDA when a GPU is present, else the CPU
    const werk::BodyId crate = sim.model().body(body);  // NameError (lists the names) when absent
    const int per_second = int(std::lround(1.0 / sim.model().dt));
    for (int done = 0; done < steps;) {
      const int n = std::min(per_second, steps - done);
      sim.step(n);
      done += n;
      werk::Vec3 p = sim.positions()[size_t(crate.index)];
      std::printf("t = %.2f s: %s at (%.3f, %.3f, %.3f)\n", sim.time(), body.c_str(), p.x, p.y, p.z);
    }
    std::printf("state hash %016" PRIx64 " after %lld steps [%s]\n", sim.hash(), (long long)sim.step_count(),
                sim.backend_name().c_str());
  } catch (const werk::InputError& e) {  // file:line:column: what was expected, what was found
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
