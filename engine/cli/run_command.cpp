// `werk run` and `werk validate`.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli_commands.h"
#include "werk/error.h"
#include "werk/interrupt.h"
#include "werk/recorder.h"
#include "werk/scene.h"
#include "werk/simulation.h"
#include "blowup.h"
#include "line/session.h"
#include "checkpoint.h"
#include "werk_limits.h"
#include "yaml_read.h"

namespace werk::cli {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

InputError usage(const std::string& message) { return InputError("command line", 0, 0, message); }

}  // namespace

Progress::Progress(bool enabled) : enabled_(enabled), start_(now_seconds()) {}
double Progress::elapsed() const { return now_seconds() - start_; }

void Progress::update(double t, double end) {
  if (!enabled_) return;
  double now = now_seconds();
  if (last_ >= 0 && now - last_ < 0.25) return;
  last_ = now;
  double wall = now - start_;
  double rtf = wall > 0 ? t / wall : 0;
  double eta = rtf > 0 ? (end - t) / rtf : 0;
  std::fprintf(stderr, "\r  t = %.2f / %.2f s   %5.1f%%   real-time factor %.2f   ETA %.0f s   ", t, end,
               end > 0 ? 100.0 * t / end : 100.0, rtf, eta);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) std::fprintf(stderr, "\r%80s\r", "");
}

void add_run_options(CLI::App& run, RunArgs& a) {
  run.add_option("SCENE", a.scene, "Scene file (YAML)")->required();
  run.add_option("-o,--output", a.out, "Output file (default: <scene name>.h5 in the current folder)");
  run.add_option("--duration", a.duration, "Simulated time to run (s; default: the scene's duration)");
  run.add_option("--record-every", a.record_every, "Time between recorded frames (s; default: the scene's record_interval)");
  run.add_option("--backend", a.backend, "auto | cpu | cuda | emulated-cuda (auto: CUDA when a device is present)");
  run.add_option("--threads", a.threads, "CPU backend threads (0: all cores)");
  run.add_option("--seed", a.seed, "Random seed (default: the scene's seed)");
  run.add_flag("-q,--quiet", a.quiet, "Print nothing unless something goes wrong");
  run.add_option("--checkpoint-every", a.checkpoint_every,
                 "Write a checkpoint (OUT.checkpoint) every this many seconds of wall time; SIGTERM always writes one");
  run.add_option("--resume", a.resume, "Continue the interrupted run of this checkpoint (same scene and options)");
  add_process_options(run, a.process);
}

// The scene's YAML document again, for the process section.
YAML::Node scene_root(const Model& m, const yaml::Source& src) { return yaml::load_string(src, m.source_text); }

int validate_command(const std::string& scene) {
  Model m = load_scene(scene);
  yaml::Source src{scene};
  YAML::Node root = scene_root(m, src);
  if (process::has_process(root)) process::validate(src, root);
  if (line::is_line(root)) line::Session(src, root, m, {}, m.duration, m.seed);
  std::cout << scene << ": ok (" << count_noun(m.nbody(), "body", "bodies") << ", "
            << count_noun(m.nshape(), "shape", "shapes") << ", " << count_noun(m.nconveyor(), "conveyor", "conveyors")
            << ")\n";
  return 0;
}

namespace {

// Command-line overrides enter the scene's document as if they had been
// written there, so that every check sees them.
void apply_overrides(YAML::Node& root, const RunArgs& a) {
  if (a.duration) root["duration"] = *a.duration;
  if (a.seed) root["seed"] = *a.seed;
  if (!process::has_process(root) || !root["process"].IsMap()) return;
  YAML::Node p = root["process"];
  if (a.duration && p["duration"]) p["duration"] = *a.duration;
  if (a.process.replications > 0) p["replications"] = a.process.replications;
}

// A file the run will write: not the scene, not a folder, in a folder that
// exists and is writable.
void check_writable(const std::string& path, const std::string& option, const std::string& scene) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) throw usage(option + ": expected a file name, found nothing");
  if (fs::exists(path, ec) && fs::equivalent(path, scene, ec))
    throw usage(option + ": expected a file other than the scene, found the scene itself ('" + path + "')");
  if (fs::is_directory(path, ec)) throw usage(option + ": expected a file name, found the folder '" + path + "'");
  std::string dir = fs::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  if (!fs::is_directory(dir, ec)) throw usage(option + ": expected an existing folder, found no folder '" + dir + "'");
  if (access(dir.c_str(), W_OK) != 0) throw usage(option + ": expected a writable folder, found '" + dir + "' read-only");
}

int stop_status() { return 128 + (stop_signal() ? stop_signal() : 2); }

// SIGTERM is a scheduler's preemption: the run keeps its running file and
// writes a checkpoint to continue from. SIGINT (Ctrl-C) ends the run with
// the frames so far at the output path.
bool stop_is_preemption() { return stop_requested() && stop_signal() == SIGTERM; }

// "cpu", "cuda" or "emulated-cuda" of a backend name like "cpu(openmp, 2 threads)".
std::string backend_kind(const std::string& name) { return name.substr(0, name.find('(')); }

}  // namespace

int run_command(const RunArgs& a) {
  // Everything that can be checked is checked before anything is written:
  // the overrides, the scene and its process section as the overrides
  // change them, and the files the run will write.
  if (a.duration && !(*a.duration >= 0 && *a.duration <= limits::kDuration))
    throw usage("--duration: expected a number of seconds in [0, " + format_number(limits::kDuration) + "], found " +
                format_number(*a.duration));
  if (a.record_every && !(*a.record_every > 0 && std::isfinite(*a.record_every)))
    throw usage("--record-every: expected a positive number of seconds, found " + format_number(*a.record_every));
  if (a.seed && *a.seed < 0) throw usage("--seed: expected an integer >= 0, found " + std::to_string(*a.seed));
  if (a.threads < 0) throw usage("--threads: expected an integer >= 0, found " + std::to_string(a.threads));
  Model model = load_scene(a.scene);
  if (a.seed) model.seed = uint64_t(*a.seed);
  if (a.duration) model.duration = *a.duration;
  const double duration = model.duration;
  const double record_every = a.record_every.value_or(model.record_interval);
  if (duration / model.dt > double(limits::kSteps))
    throw InputError(a.scene, 0, 0, "duration: expected at most " + format_number(double(limits::kSteps)) +
                                        " time steps, found " + format_number(duration) + " s at dt = " +
                                        format_number(model.dt) + " s");
  if (record_every < model.dt)
    throw usage("--record-every: expected at least one time step (" + format_number(model.dt) + " s), found " +
                format_number(record_every) + " s");
  const int64_t total_steps = int64_t(std::llround(duration / model.dt));
  const int64_t record_stride =
      std::max<int64_t>(1, std::llround(std::min(record_every / model.dt, double(total_steps + 1))));
  const std::string out = a.out.empty() ? model.name + ".h5" : a.out;
  yaml::Source src{a.scene};
  YAML::Node root = scene_root(model, src);
  apply_overrides(root, a);
  const bool has_process = process::has_process(root);
  if (has_process) {
    process::validate(src, root);
  } else {
    if (a.process.replications > 0) throw usage("--replications: expected a scene with a process section, found none");
    if (!a.process.kpis_json.empty()) throw usage("--kpis: expected a scene with a process section, found none");
  }
  check_writable(out, "--output", a.scene);
  if (!a.process.kpis_json.empty()) {
    check_writable(a.process.kpis_json, "--kpis", a.scene);
    std::error_code ec;
    if (std::filesystem::weakly_canonical(a.process.kpis_json, ec) == std::filesystem::weakly_canonical(out, ec))
      throw usage("--kpis: expected a file other than the output, found '" + out + "' for both");
  }

  // A physical line: the process drives the physics step by step.
  std::unique_ptr<line::Session> line_run;
  if (line::is_line(root)) {
    if (a.process.replications > 0 && !has_process) throw usage("--replications: expected a scene with a process section, found none");
    line_run = std::make_unique<line::Session>(src, root, model, a.process, duration, model.seed);
  }
  if (a.checkpoint_every && !(*a.checkpoint_every > 0 && std::isfinite(*a.checkpoint_every)))
    throw usage("--checkpoint-every: expected a positive number of seconds, found " + format_number(*a.checkpoint_every));

  SimulationOptions so;
  so.backend = a.backend;
  so.threads = a.threads;
  if (line_run) so.nworld = line_run->worlds();
  Simulation sim(model, so);
  // What fixes the run's results besides the scene text: a checkpoint
  // continues only the same run.
  const std::string settings = "duration " + format_number(duration) + " s, seed " + std::to_string(model.seed) +
                               ", a frame every " + count_noun(record_stride, "step", "steps") + ", " +
                               (a.process.replications > 0 ? std::to_string(a.process.replications) : "default") +
                               " replications, backend " + backend_kind(sim.backend_name()) +
                               (a.process.kpis_json.empty() ? "" : ", KPIs to " + a.process.kpis_json);
  const std::string ckpt_path = checkpoint_path(out);
  Checkpoint resumed;
  const bool resuming = !a.resume.empty();
  if (resuming) {
    resumed = read_checkpoint(a.resume, sim.state(), [&](const Checkpoint& c) {
      const std::string sha = sha256_hex(model.source_text);
      if (c.scene_sha256 != sha)
        throw InputError(a.resume, 0, 0,
                         "expected a checkpoint of the scene '" + a.scene + "' (SHA-256 " + sha.substr(0, 12) +
                             "...), found one of '" + c.scene_file + "' (SHA-256 " + c.scene_sha256.substr(0, 12) +
                             "...)");
      if (c.settings != settings)
        throw InputError(a.resume, 0, 0, "expected a checkpoint of a run with " + settings + ", found one with " +
                                             c.settings + " (resume with the options of the interrupted run)");
      if (c.output != out)
        throw InputError(a.resume, 0, 0, "expected a checkpoint of the output '" + out + "', found one of '" +
                                             c.output + "' (give the same -o)");
    });
  }
  // Killed after its output was complete and in place but before it
  // removed its checkpoint: nothing is left to do. (A later run on this
  // output would have removed the checkpoint when it began, so an output
  // newer than the checkpoint is this run's.)
  if (resuming && !std::filesystem::exists(running_path(out)) && std::filesystem::exists(out) &&
      std::filesystem::last_write_time(out) >= std::filesystem::last_write_time(a.resume)) {
    std::remove(a.resume.c_str());
    std::remove((a.resume + ".writing").c_str());
    if (!a.quiet)
      std::fprintf(stderr, "werk: the interrupted run had already written %s; removed its spent checkpoint %s\n",
                   out.c_str(), a.resume.c_str());
    return 0;
  }
  const bool continuing = resuming && (resumed.process_done || !resumed.process_state.empty());
  RecorderOptions ro;
  ro.backend = sim.backend_name();
  ro.seed = model.seed;
  if (continuing) ro.resume_frames = resumed.frames;
  install_stop_handlers();
  // The recorder writes OUT.partial.h5 and renames it to OUT at close();
  // a run that fails before that leaves OUT as it was.
  Recorder rec(model, out, ro);
  const Progress wall_clock(false);
  std::vector<std::string> written{out};
  // A new running file makes an earlier checkpoint of this output useless.
  if (!continuing) std::remove(ckpt_path.c_str());

  bool process_done = !has_process;
  double last_checkpoint = now_seconds();
  std::string process_state;
  auto save_checkpoint = [&] {
    Checkpoint c;
    c.scene_file = a.scene;
    c.scene_sha256 = sha256_hex(model.source_text);
    c.settings = settings;
    c.output = out;
    c.frames = rec.frames();
    c.process_done = process_done;
    c.process_state = process_state;
    if (line_run) c.line_state = line_run->save();  // flushes its process series first
    c.state = sim.state();
    c.memory = sim.solver_memory();
    rec.flush();  // every frame the checkpoint counts is in the running file
    write_checkpoint(ckpt_path, c);
    last_checkpoint = now_seconds();
  };
  // Preempted: the running file and the checkpoint stay for --resume.
  auto preempted = [&](bool saved) {
    if (!saved) save_checkpoint();
    rec.abandon();
    std::fprintf(stderr,
                 "werk: stopped by SIGTERM %s; wrote the checkpoint %s beside the running file %s. "
                 "Continue with: werk run %s -o %s [the same options] --resume %s\n",
                 process_done ? ("at t = " + format_number(sim.time()) + " s").c_str() : "in the process simulation",
                 ckpt_path.c_str(), running_path(out).c_str(), a.scene.c_str(),
                 out.c_str(), ckpt_path.c_str());
    return stop_status();
  };
  // The run is complete at the output path: its checkpoint is spent.
  auto close_output = [&] {
    if (line_run) {
      // The line's process series close before the file does; its KPIs,
      // sensor series and event log go in before the rename.
      line_run->end();
      rec.close([&](int64_t file) { line_run->write_h5(file); });
    } else {
      rec.close();
    }
    std::remove(ckpt_path.c_str());
    std::remove((ckpt_path + ".writing").c_str());  // one a kill interrupted while it was written
  };

  // Process simulation first: it is fast, and its groups must exist
  // before the trajectory recording switches the file to SWMR mode.
  process::Outcome outcome;
  if (line_run) {
    // A physical line has no process phase of its own: its process runs
    // with the physics, and its checkpoints hold the line's state.
    process_done = true;
    if (continuing) line_run->resume(sim, rec.file_id(), resumed.line_state);
    else line_run->start(sim, rec.file_id());
    if (!a.process.kpis_json.empty()) written.push_back(a.process.kpis_json);
  } else if (has_process && !(continuing && resumed.process_done)) {
    process::RunOptions po = a.process;
    if (a.duration) po.duration = *a.duration;
    if (a.seed) po.seed = uint64_t(*a.seed), po.seed_set = true;
    po.threads = a.threads;
    po.progress = !a.quiet && isatty(STDERR_FILENO);
    po.checkpoint_due = [&] {
      return stop_is_preemption() || (a.checkpoint_every && now_seconds() - last_checkpoint >= *a.checkpoint_every);
    };
    po.checkpoint = [&](const std::string& state) {
      process_state = state;
      save_checkpoint();
    };
    if (continuing) po.resume_state = resumed.process_state;
    std::ostream quiet(nullptr);
    outcome = process::run_scene(src, root, po, rec.file_id(), a.quiet ? quiet : std::cout);
    if (outcome.interrupted && stop_is_preemption()) return preempted(true);
    process_done = true;
    process_state.clear();
  }
  if (has_process && !a.process.kpis_json.empty()) written.push_back(a.process.kpis_json);
  auto report_written = [&] {
    if (a.quiet) return;
    std::string list;
    for (size_t i = 0; i < written.size(); ++i)
      list += (i == 0 ? "" : i + 1 == written.size() ? " and " : ", ") + written[i];
    std::fprintf(stderr, "werk: wrote %s\n", list.c_str());
  };
  if (model.nbody() == 0) {  // a process-only scene: no physics at all
    rec.set_wall_seconds(wall_clock.elapsed());
    close_output();
    report_written();
    return outcome.interrupted ? stop_status() : 0;
  }
  if (continuing && resumed.process_done) {
    sim.set_state(resumed.state);
    sim.set_solver_memory(resumed.memory);
  }

  // The blow-up check runs on every state the loop reads back: at each
  // recorded frame and at least every kCheckSteps steps.
  constexpr int64_t kCheckSteps = 240;
  Progress progress(!a.quiet && isatty(STDERR_FILENO));
  double initial_penetration = 0;
  auto check = [&](const State& s) {
    std::string what;
    int bad = find_blowup(model, s, &what);
    if (bad < 0) return;
    progress.finish();
    std::string message = blowup_message(model, s, bad, what, initial_penetration);
    close_output();
    throw RuntimeError(message + " " + out + " keeps the " + count_noun(rec.frames(), "frame", "frames") +
                       " before it.");
  };
  if (rec.frames() == 0) {
    check(sim.state());
    rec.record(sim.state());
  }
  last_checkpoint = now_seconds();
  for (int64_t done = sim.step_count(); done < total_steps && !stop_requested();) {
    int64_t to_record = record_stride - done % record_stride;
    int64_t n = std::min({to_record, total_steps - done, kCheckSteps});
    if (line_run) line_run->step(int(n));
    else sim.step(int(n));
    if (done == 0) initial_penetration = sim.last_max_penetration();
    done += n;
    check(sim.state());
    if (done % record_stride == 0 || done == total_steps) rec.record(sim.state());
    progress.update(sim.time(), duration);
    if (a.checkpoint_every && done < total_steps && now_seconds() - last_checkpoint >= *a.checkpoint_every) {
      save_checkpoint();
      last_checkpoint = now_seconds();
    }
  }
  progress.finish();
  if (stop_is_preemption() && sim.step_count() < total_steps) return preempted(false);
  rec.set_wall_seconds(wall_clock.elapsed());
  close_output();
  const double wall = progress.elapsed();
  if (line_run) {
    std::ostream quiet(nullptr);
    line_run->report(a.quiet ? quiet : std::cout, a.process.kpis_json);
  }
  // A signal after the last step interrupted nothing: the result is complete.
  const bool interrupted = stop_requested() && sim.step_count() < total_steps;
  if (!a.quiet) {
    std::fprintf(stderr, "werk: %s: %s%s, %s s simulated in %.3g s (real-time factor %.3g), %s [%s]\n",
                 model.name.c_str(), interrupted ? "interrupted after " : "",
                 count_noun(sim.step_count(), "step", "steps").c_str(), format_number(sim.time()).c_str(), wall,
                 wall > 0 ? sim.time() / wall : 0.0, count_noun(rec.frames(), "frame", "frames").c_str(),
                 sim.backend_name().c_str());
    report_written();
  }
  return interrupted ? stop_status() : 0;
}

}  // namespace werk::cli
