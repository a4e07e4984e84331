// `werk report RUN.h5 -o report.html`: one self-contained HTML page.
//
// The page is made by report.py (matplotlib, h5py, numpy from Debian, run
// by /usr/bin/python3 or $WERK_PYTHON); for physics runs werk renders the
// first and last frames with VTK and the page embeds them.
#include <sys/wait.h>
#include <unistd.h>

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

struct ReportArgs {
  std::string file, out;
};

// Runs argv[0] (searched on PATH) with the arguments as given, no shell
// between; its exit status (127: could not be started).
int run_program(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid < 0) throw RuntimeError("cannot start " + argv[0]);
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& s : argv) args.push_back(const_cast<char*>(s.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "werk: cannot run %s\n", argv[0].c_str());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

namespace {

#ifdef WERK_HAVE_VTK
std::string report_script() {
  namespace fs = std::filesystem;
  if (const char* s = std::getenv("WERK_REPORT_SCRIPT")) return s;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && fs::exists(exe.parent_path().parent_path() / "share/werk/report.py"))
    return (exe.parent_path().parent_path() / "share/werk/report.py").string();
  if (fs::exists(WERK_REPORT_SCRIPT_INSTALLED)) return WERK_REPORT_SCRIPT_INSTALLED;
  return WERK_REPORT_SCRIPT;
}

int report(const ReportArgs& a) {
  namespace fs = std::filesystem;
  viz::ResultFile r(a.file);
  std::vector<std::string> argv = {std::getenv("WERK_PYTHON") ? std::getenv("WERK_PYTHON") : "/usr/bin/python3",
                                   report_script(), a.file, "-o", a.out};
  fs::path tmp;
  if (r.nbody() > 0 && r.frames() > 0) {
    tmp = fs::temp_directory_path() / ("werk-report-" + std::to_string(::getpid()));
    fs::create_directories(tmp);
    viz::RenderOptions o;
    o.width = 960, o.height = 540;
    const std::string first = (tmp / "first.png").string(), last = (tmp / "last.png").string();
    viz::render_frames(r, {0, r.frames() - 1}, {first, last}, o);
    argv.insert(argv.end(), {"--first-frame", first, "--last-frame", last});
  }
  const int status = run_program(argv);
  if (!tmp.empty()) fs::remove_all(tmp);
  if (status != 0) throw RuntimeError("the report script failed (" + argv[1] + ", exit " + std::to_string(status) + ")");
  std::fprintf(stderr, "werk: wrote %s\n", a.out.c_str());
  return 0;
}
#endif

}  // namespace

Command add_report_command(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  CLI::App* c = app.add_subcommand("report", "Write a self-contained HTML report of a result file (KPIs, plots, pictures)");
  c->add_option("FILE", a->file, "Result file (.h5)")->required();
  c->add_option("-o,--output", a->out, "HTML file to write")->required();
  return {c, [a]() -> int {
#ifdef WERK_HAVE_VTK
            return report(*a);
#else
            throw RuntimeError("werk report needs VTK: this werk was built without it (install libvtk9-dev and rebuild)");
#endif
          }};
}

}  // namespace werk::cli
