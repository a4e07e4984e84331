// Pictures of a result file: VTK files for ParaView, offscreen renders and
// movies, and the data behind the HTML report. See docs/visualization.md.
#pragma once

#include <string>
#include <vector>

#include "result_file.h"

namespace werk::viz {

struct ExportOptions {
  std::string dir;          // output folder (created)
  int every = 1;            // every K-th recorded frame
  double from = -1e300, to = 1e300;  // time window (s)
};
struct ExportStats {
  std::string pvd;           // the series file to open
  int64_t frames = 0;         // time steps in the series
  int64_t distinct = 0;       // of which with their own files (the others repeat an unchanged frame)
  uintmax_t bytes = 0;       // all files written
};
// Writes DIR/<scene>.pvd: one .vtm per frame of two blocks, "static"
// (static bodies and belts, one .vtp shared by every frame) and "moving"
// (dynamic and kinematic bodies posed at that frame, one .vtp each frame;
// a frame in which no moving body moved refers to the previous files).
ExportStats export_vtk(const ResultFile& r, const ExportOptions& o);

enum class Camera { Iso, Top, Front, Side };
struct RenderOptions {
  int width = 1280, height = 720;
  Camera camera = Camera::Iso;
  int resolution = 24;
};
// Renders frames offscreen to PNG files (one per entry of `frames`, to
// `paths`). Needs an X display: see ensure_display().
void render_frames(const ResultFile& r, const std::vector<int64_t>& frames, const std::vector<std::string>& paths,
                   const RenderOptions& o);

// Makes sure an X display is there for VTK (Debian's VTK renders through
// GLX even offscreen): the one in DISPLAY when it answers, otherwise a
// private Xvfb started now and stopped at exit. Throws when neither works.
void ensure_display();

}  // namespace werk::viz
