// `werk export RUN.h5 --vtk DIR`: a ParaView series of the recorded run.
#include <cstdio>
#include <memory>

#include "cli_commands.h"
#include "werk/error.h"
#ifdef WERK_HAVE_VTK
#include "viz.h"
#endif

namespace werk::cli {

struct ExportArgs {
  std::string file, dir;
  int every = 1;
  double from = -1e300, to = 1e300;
};

Command add_export_command(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  CLI::App* c = app.add_subcommand("export", "Write a recorded run as VTK files for ParaView (a .pvd series)");
  c->add_option("FILE", a->file, "Result file (.h5)")->required();
  c->add_option("--vtk", a->dir, "Output folder: DIR/<scene>.pvd and its .vtm/.vtp files")->required();
  c->add_option("--every", a->every, "Export every K-th recorded frame (default 1)");
  c->add_option("--from", a->from, "First time to export (s)");
  c->add_option("--to", a->to, "Last time to export (s)");
  return {c, [a]() -> int {
#ifdef WERK_HAVE_VTK
            viz::ResultFile r(a->file);
            viz::ExportOptions o;
            o.dir = a->dir, o.every = a->every, o.from = a->from, o.to = a->to;
            viz::ExportStats st = viz::export_vtk(r, o);
            std::fprintf(stderr,
                         "werk: wrote %s (%lld frames, %lld with bodies moved, %.3g MB in all); open it in ParaView with "
                         "File > Open\n",
                         st.pvd.c_str(), static_cast<long long>(st.frames), static_cast<long long>(st.distinct),
                         double(st.bytes) / 1e6);
            return 0;
#else
            throw RuntimeError("werk export needs VTK: this werk was built without it (install libvtk9-dev and rebuild)");
#endif
          }};
}

}  // namespace werk::cli
