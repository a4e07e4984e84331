// Offscreen renders of a result file with VTK.
#include <X11/Xlib.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkColorSeries.h>
#include <vtkLightKit.h>
#include <vtkNew.h>
#include <vtkPNGWriter.h>
#include <vtkPlaneSource.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataNormals.h>
#include <vtkProperty.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>
#include <vtkWindowToImageFilter.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tessellate.h"
#include "viz.h"
#include "werk/error.h"

namespace werk::viz {
namespace {

pid_t xvfb_pid = -1;

void stop_xvfb() {
  if (xvfb_pid > 0) {
    kill(xvfb_pid, SIGTERM);
    waitpid(xvfb_pid, nullptr, 0);
    xvfb_pid = -1;
  }
}

bool display_answers() {
  const char* d = std::getenv("DISPLAY");
  if (!d || !*d) return false;
  Display* x = XOpenDisplay(nullptr);
  if (!x) return false;
  XCloseDisplay(x);
  return true;
}

// Smooth shading where surfaces are round, sharp edges kept (feature angle 30 degrees).
vtkSmartPointer<vtkPolyData> with_normals(vtkPolyData* pd) {
  vtkNew<vtkPolyDataNormals> n;
  n->SetInputData(pd);
  n->SetFeatureAngle(30);
  n->SplittingOn();
  n->ConsistencyOff();
  n->AutoOrientNormalsOff();
  n->Update();
  return n->GetOutput();
}

// Starts Xvfb on a free display (it picks the number and writes it to a
// pipe: -displayfd) and returns the number, or "" when it cannot start.
std::string start_xvfb() {
  int fds[2];
  if (pipe(fds) != 0) throw RuntimeError("cannot start Xvfb: no pipe");
  pid_t pid = fork();
  if (pid < 0) throw RuntimeError("cannot start Xvfb: fork failed");
  if (pid == 0) {
    close(fds[0]);
    std::string fd = std::to_string(fds[1]);
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1), dup2(null, 2);
    execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", "1920x1080x24", "-nolisten", "tcp", (char*)nullptr);
    _exit(127);
  }
  close(fds[1]);
  std::string num;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') num += c;
  close(fds[0]);
  if (num.empty()) {
    waitpid(pid, nullptr, 0);
    return num;
  }
  xvfb_pid = pid;
  return num;
}

}  // namespace

void ensure_display() {
  if (display_answers()) return;
  // Another Xvfb leaving the same display number as this one takes it may
  // remove its socket after this one made it: then this one does not
  // answer, and a fresh start (on a free number) does.
  std::string num;
  for (int attempt = 0; attempt < 3; ++attempt) {
    num = start_xvfb();
    if (num.empty())
      throw RuntimeError(
          "rendering needs an X display: DISPLAY is not set (or does not answer) and Xvfb could not be started "
          "(install Debian's xvfb, or run under xvfb-run -a)");
    setenv("DISPLAY", (":" + num).c_str(), 1);
    if (display_answers()) {
      std::atexit(stop_xvfb);
      return;
    }
    stop_xvfb();
  }
  throw RuntimeError("Xvfb started on :" + num + " but does not answer (three times)");
}

void render_frames(const ResultFile& r, const std::vector<int64_t>& frames, const std::vector<std::string>& paths,
                   const RenderOptions& o) {
  ensure_display();
  const Scene sc = tessellate_scene(r, o.resolution);
  const Model& m = r.model();
  vtkNew<vtkRenderer> ren;
  ren->SetBackground(0.96, 0.97, 0.98);
  ren->SetBackground2(0.80, 0.85, 0.90);
  ren->GradientBackgroundOn();
  vtkNew<vtkRenderWindow> win;
  win->SetOffScreenRendering(1);
  win->SetSize(o.width, o.height);
  win->SetMultiSamples(4);
  win->AddRenderer(ren);
  vtkNew<vtkLightKit> lights;  // key, fill and back lights: shapes read at any camera
  lights->AddLightsToRenderer(ren);

  // Static bodies and belts: drawn once, in muted colours.
  vtkNew<vtkColorSeries> palette;
  palette->SetColorScheme(vtkColorSeries::BREWER_QUALITATIVE_SET1);
  const ResultFile::Poses p0 = r.poses(frames.empty() ? 0 : frames[0]);
  for (int b = 0; b < m.nbody(); ++b) {
    if (!sc.body[b] || (sc.kind[b] != DrawKind::Static && sc.kind[b] != DrawKind::Belt)) continue;
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputData(with_normals(posed(sc.body[b], p0.position[b], p0.orientation[b])));
    mapper->ScalarVisibilityOff();
    vtkNew<vtkActor> a;
    a->SetMapper(mapper);
    bool plane = sc.body[b]->GetNumberOfPoints() == 4 && sc.body[b]->GetNumberOfCells() == 1;
    if (sc.kind[b] == DrawKind::Belt) a->GetProperty()->SetColor(0.32, 0.34, 0.38);
    else if (plane) a->GetProperty()->SetColor(0.86, 0.87, 0.88);
    else a->GetProperty()->SetColor(0.72, 0.73, 0.75);
    a->GetProperty()->SetSpecular(0.1);
    a->GetProperty()->SetAmbient(0.25);
    ren->AddActor(a);
  }
  // A grid on the floor.
  const Bounds& bb = sc.view;
  const double span = std::max({bb[1] - bb[0], bb[3] - bb[2], 1.0});
  // About eight cells across the extent: steps of 1, 2 or 5 times a power of ten.
  const double raw = span / 8, decade = std::pow(10.0, std::floor(std::log10(raw))), mant = raw / decade;
  const double step = (mant < 1.5 ? 1 : mant < 3.5 ? 2 : mant < 7.5 ? 5 : 10) * decade;
  const double margin = 0.25 * span;
  double x0 = std::floor((bb[0] - margin) / step) * step, x1 = std::ceil((bb[1] + margin) / step) * step;
  double y0 = std::floor((bb[2] - margin) / step) * step, y1 = std::ceil((bb[3] + margin) / step) * step;
  const double gz = sc.floor_z + 1e-3 * span;
  vtkNew<vtkPlaneSource> grid;
  grid->SetOrigin(x0, y0, gz), grid->SetPoint1(x1, y0, gz), grid->SetPoint2(x0, y1, gz);
  grid->SetResolution(int(std::lround((x1 - x0) / step)), int(std::lround((y1 - y0) / step)));
  vtkNew<vtkPolyDataMapper> gm;
  gm->SetInputConnection(grid->GetOutputPort());
  vtkNew<vtkActor> ga;
  ga->SetMapper(gm);
  ga->GetProperty()->SetRepresentationToWireframe();
  ga->GetProperty()->SetColor(0.55, 0.57, 0.60);
  ga->GetProperty()->LightingOff();
  ga->GetProperty()->SetOpacity(0.6);
  ren->AddActor(ga);

  // Moving bodies: one actor each, posed per frame, coloured by body.
  std::vector<vtkSmartPointer<vtkActor>> moving(m.nbody());
  for (int b = 0; b < m.nbody(); ++b) {
    if (!sc.body[b] || sc.kind[b] == DrawKind::Static || sc.kind[b] == DrawKind::Belt) continue;
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputData(with_normals(sc.body[b]));
    mapper->ScalarVisibilityOff();
    auto a = vtkSmartPointer<vtkActor>::New();
    a->SetMapper(mapper);
    vtkColor3ub c = palette->GetColorRepeating(b);
    if (sc.kind[b] == DrawKind::Kinematic) c = vtkColor3ub(55, 126, 184);
    a->GetProperty()->SetColor(c[0] / 255.0, c[1] / 255.0, c[2] / 255.0);
    a->GetProperty()->SetSpecular(0.3);
    a->GetProperty()->SetSpecularPower(20);
    a->GetProperty()->SetAmbient(0.2);
    ren->AddActor(a);
    moving[b] = a;
  }
  vtkNew<vtkTextActor> caption;
  caption->GetTextProperty()->SetFontSize(std::max(12, o.height / 30));
  caption->GetTextProperty()->SetColor(0.1, 0.1, 0.12);
  caption->SetDisplayPosition(std::max(8, o.width / 80), std::max(8, o.height / 60));
  ren->AddViewProp(caption);

  // Camera: looking at the extent of everything but planes.
  vtkCamera* cam = ren->GetActiveCamera();
  const double c[3] = {(bb[0] + bb[1]) / 2, (bb[2] + bb[3]) / 2, (bb[4] + bb[5]) / 2};
  double dir[3] = {1, -1.3, 0.9}, up[3] = {0, 0, 1};
  switch (o.camera) {
    case Camera::Iso: break;
    case Camera::Top: dir[0] = 0, dir[1] = 0, dir[2] = 1, up[0] = 0, up[1] = 1, up[2] = 0; break;
    case Camera::Front: dir[0] = 0, dir[1] = -1, dir[2] = 0; break;
    case Camera::Side: dir[0] = 1, dir[1] = 0, dir[2] = 0; break;
  }
  cam->SetFocalPoint(c);
  cam->SetPosition(c[0] + dir[0], c[1] + dir[1], c[2] + dir[2]);
  cam->SetViewUp(up);
  cam->SetViewAngle(30);
  double fit[6] = {bb[0], bb[1], bb[2], bb[3], bb[4], bb[5]};
  ren->ResetCamera(fit);
  cam->Zoom(1.3);
  const Bounds& all = sc.bounds;
  ren->ResetCameraClippingRange(std::min(x0, all[0]), std::max(x1, all[1]), std::min(y0, all[2]), std::max(y1, all[3]),
                                std::min(gz, all[4]), all[5]);

  for (size_t i = 0; i < frames.size(); ++i) {
    const ResultFile::Poses p = r.poses(frames[i]);
    for (int b = 0; b < m.nbody(); ++b) {
      if (!moving[b]) continue;
      moving[b]->SetVisibility(p.active[b]);
      const Quat& q = p.orientation[b];
      double n = std::sqrt(double(q.w) * q.w + double(q.x) * q.x + double(q.y) * q.y + double(q.z) * q.z);
      double w = n > 0 ? std::clamp(q.w / n, -1.0, 1.0) : 1.0, s = std::sqrt(std::max(0.0, 1 - w * w));
      moving[b]->SetOrientation(0, 0, 0);
      moving[b]->SetPosition(p.position[b].x, p.position[b].y, p.position[b].z);
      if (s > 1e-12) moving[b]->RotateWXYZ(2 * std::acos(w) * 180 / M_PI, q.x / n / s, q.y / n / s, q.z / n / s);
    }
    char text[256];
    std::snprintf(text, sizeof text, "%s    t = %.2f s", r.scene_name.c_str(), r.times()[size_t(frames[i])]);
    caption->SetInput(text);
    win->Render();
    vtkNew<vtkWindowToImageFilter> grab;
    grab->SetInput(win);
    grab->ReadFrontBufferOff();
    grab->Update();
    vtkNew<vtkPNGWriter> png;
    png->SetInputConnection(grab->GetOutputPort());
    png->SetFileName(paths[i].c_str());
    png->Write();
    if (png->GetErrorCode() != 0) throw RuntimeError("cannot write '" + paths[i] + "'");
  }
}

}  // namespace werk::viz
