// `werk render RUN.h5 -o PNG` and `werk render RUN.h5 --movie OUT.mp4`.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "cli_commands.h"
#include "werk/error.h"
#ifdef WERK_HAVE_VTK
#include "viz.h"
#endif

namespace werk::cli {

struct RenderArgs {
  std::string file, out, movie, camera = "iso", size = "1280x720";
  std::optional<double> time;
  int fps = 20, every = 1;
};

namespace {

[[maybe_unused]] InputError usage(const std::string& m) { return InputError("command line", 0, 0, m); }

#ifdef WERK_HAVE_VTK
viz::RenderOptions render_options(const RenderArgs& a) {
  viz::RenderOptions o;
  if (a.camera == "iso") o.camera = viz::Camera::Iso;
  else if (a.camera == "top") o.camera = viz::Camera::Top;
  else if (a.camera == "front") o.camera = viz::Camera::Front;
  else if (a.camera == "side") o.camera = viz::Camera::Side;
  else throw usage("--camera: expected iso, top, front or side, found '" + a.camera + "'");
  int w = 0, h = 0;
  char x = 0, rest = 0;
  if (std::sscanf(a.size.c_str(), "%d%c%d%c", &w, &x, &h, &rest) != 3 || (x != 'x' && x != 'X') || w < 16 || h < 16 ||
      w > 8192 || h > 8192)
    throw usage("--size: expected WIDTHxHEIGHT in pixels (16 to 8192 each), found '" + a.size + "'");
  o.width = w, o.height = h;
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int render(const RenderArgs& a) {
  if (a.out.empty() == a.movie.empty()) throw usage("expected one of -o PNG or --movie MP4");
  viz::RenderOptions o = render_options(a);
  viz::ResultFile r(a.file);
  if (r.nbody() == 0 || r.frames() == 0)
    throw InputError(a.file, 0, 0, "expected recorded bodies to render, found none (a process-only result?)");
  const auto start = std::chrono::steady_clock::now();
  if (!a.out.empty()) {
    int64_t f = a.time ? r.frame_at(*a.time) : r.frames() - 1;
    viz::render_frames(r, {f}, {a.out}, o);
    std::fprintf(stderr, "werk: wrote %s (t = %.4g s, %dx%d, %.2f s)\n", a.out.c_str(), r.times()[size_t(f)], o.width,
                 o.height, seconds_since(start));
    return 0;
  }
  if (a.fps < 1 || a.fps > 240) throw usage("--fps: expected 1 to 240, found " + std::to_string(a.fps));
  if (a.every < 1) throw usage("--every: expected an integer >= 1, found " + std::to_string(a.every));
  if (o.width % 2 || o.height % 2) throw usage("--size: a movie needs an even width and height, found " + a.size);
  if (std::system("command -v ffmpeg > /dev/null 2>&1") != 0)
    throw RuntimeError("--movie needs ffmpeg (install Debian's ffmpeg)");
  namespace fs = std::filesystem;
  fs::path tmp = fs::temp_directory_path() / ("werk-movie-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  std::vector<int64_t> frames;
  std::vector<std::string> paths;
  for (int64_t f = 0; f < r.frames(); f += a.every) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%06zu.png", paths.size());
    frames.push_back(f), paths.push_back((tmp / name).string());
  }
  viz::render_frames(r, frames, paths, o);
  const double render_s = seconds_since(start);
  // No shell between: the output path is passed as it was given.
  const int status = run_program({"ffmpeg", "-loglevel", "error", "-y", "-framerate", std::to_string(a.fps), "-i",
                                  (tmp / "frame_%06d.png").string(), "-c:v", "libx264", "-pix_fmt", "yuv420p",
                                  "-movflags", "+faststart", a.movie});
  fs::remove_all(tmp);
  if (status != 0) throw RuntimeError("ffmpeg failed to write '" + a.movie + "'");
  std::fprintf(stderr, "werk: wrote %s (%zu frames at %d fps, %dx%d; %.3f s per rendered frame)\n", a.movie.c_str(),
               frames.size(), a.fps, o.width, o.height, render_s / double(frames.size()));
  return 0;
}
#endif

}  // namespace

Command add_render_command(CLI::App& app) {
  auto a = std::make_shared<RenderArgs>();
  CLI::App* c = app.add_subcommand("render", "Render a recorded run offscreen: one frame as PNG, or a movie");
  c->add_option("FILE", a->file, "Result file (.h5)")->required();
  c->add_option("-o,--output", a->out, "PNG file to write (one frame)");
  c->add_option("--time", a->time, "Time of the frame (s; default: the last frame)");
  c->add_option("--camera", a->camera, "iso | top | front | side (default iso)");
  c->add_option("--size", a->size, "Image size WIDTHxHEIGHT (default 1280x720)");
  c->add_option("--movie", a->movie, "MP4 file to write (every recorded frame, encoded with ffmpeg)");
  c->add_option("--fps", a->fps, "Movie frames per second (default 20)");
  c->add_option("--every", a->every, "Movie: every K-th recorded frame (default 1)");
  return {c, [a]() -> int {
#ifdef WERK_HAVE_VTK
            return render(*a);
#else
            throw RuntimeError("werk render needs VTK: this werk was built without it (install libvtk9-dev and rebuild)");
#endif
          }};
}

}  // namespace werk::cli
