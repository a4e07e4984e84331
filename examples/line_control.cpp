// Virtual commissioning in miniature: control logic stepped in lockstep
// with the physical line of scenes/chute_to_bin.yaml.
//
// The rule (a gap control, as a PLC would run it): while a part is inside
// the transfer zone where the infeed belt hands over to the curve, the
// infeed stops, so that parts enter the curve one at a time; when the zone
// is clear the infeed runs again. The controller reads every part's
// position after every step and writes only the belt speed: nothing else
// of the simulation is copied or reset.
//
//   line_control [SCENE] [SECONDS] [THREADS]
// One thread by default: a loop that steps once per control cycle on a
// small line spends its time in short parallel regions, which one thread
// runs fastest.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "werk/error.h"
#include "werk/scene.h"
#include "werk/simulation.h"

namespace {
// The transfer zone: the start of the curve, just past the infeed's end (m).
struct Zone {
  float x0 = 2.0f, x1 = 2.35f, y0 = -0.25f, y1 = 0.1f, z0 = 0.78f, z1 = 1.0f;
  bool contains(werk::Vec3 p) const { return p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1 && p.z >= z0 && p.z <= z1; }
};
}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "scenes/chute_to_bin.yaml";
  const double seconds = argc > 2 ? std::atof(argv[2]) : 20.0;
  werk::SimulationOptions options;
  options.threads = argc > 3 ? std::atoi(argv[3]) : 1;
  try {
    werk::Simulation sim(werk::load_scene(path), options);
    const werk::Model& model = sim.model();
    const werk::ConveyorId infeed = model.conveyor("infeed");
    const float run_speed = sim.conveyor_speed(infeed);
    std::vector<int> parts;
    for (int b = 0; b < model.nbody(); ++b)
      if (model.body_kind[b] == werk::BodyKind::Dynamic) parts.push_back(b);
    const Zone zone;

    bool running = true;
    int stops = 0, printed = 0;
    long long stopped_steps = 0;
    const long long steps = (long long)(seconds / model.dt + 0.5);
    const auto t0 = std::chrono::steady_clock::now();
    for (long long k = 0; k < steps; ++k) {
      sim.step(1);
      werk::View<const werk::Vec3> pos = sim.positions();  // no copy on the CPU
      int inside = -1;
      for (int b : parts)
        if (zone.contains(pos[size_t(b)])) {
          inside = b;
          break;
        }
      if (inside >= 0 && running) {
        sim.set_conveyor_speed(infeed, 0.0f);
        running = false;
        ++stops;
        if (printed++ < 8) std::printf("t = %6.2f s: %s in the transfer zone: infeed stopped\n", sim.time(), model.body_name[inside].c_str());
      } else if (inside < 0 && !running) {
        sim.set_conveyor_speed(infeed, run_speed);
        running = true;
        if (printed++ < 8) std::printf("t = %6.2f s: zone clear: infeed restarted at %.2f m/s\n", sim.time(), run_speed);
      }
      if (!running) ++stopped_steps;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    int past = 0;  // parts beyond the curve (on the outfeed or in the bin)
    for (int b : parts)
      if (sim.positions()[size_t(b)].y > 0.7f) ++past;
    std::printf("%.1f s simulated in %.2f s wall (%.1fx real time): the infeed stopped %d times, %.1f s in all; "
                "%d of %zu parts are past the curve\n",
                sim.time(), wall, wall > 0 ? sim.time() / wall : 0.0, stops, stopped_steps * model.dt, past, parts.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
