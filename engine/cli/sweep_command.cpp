// `werk sweep`: what-if sweeps over scene parameters, on local cores
// (worker processes), under MPI (mpirun) or as a Slurm job array, into one
// HDF5 results file. See docs/sweeps.md.
//
// One process hands out work and writes the results file: the
// coordinator. Workers run lists of variants (a batch of worlds, or one
// variant) and send one line of JSON back per variant. Local workers are
// child processes (`werk sweep FILE --worker`) talking over pipes, so a
// variant that crashes its process is recorded as failed and the others go
// on; MPI ranks other than 0 are workers that talk over MPI, and rank 0
// also runs one local worker. Work is handed out one task at a time to
// whichever worker is free.
#include <fcntl.h>
#include <hdf5.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef WERK_HAVE_MPI
#include <mpi.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli_commands.h"
#include "sweep/sweep.h"
#include "werk/error.h"
#include "werk/interrupt.h"
#include "werk_limits.h"

namespace werk::cli {

std::string parallel_support() {
#ifdef WERK_HAVE_MPI
  return std::string("mpi: ") + WERK_MPI_DESCRIPTION;
#else
  return "mpi: not built (MPI was not found)";
#endif
}

CLI::App* add_sweep_command(CLI::App& app, SweepArgs& a) {
  CLI::App* s = app.add_subcommand("sweep", "Run a what-if sweep over scene parameters into one HDF5 results file");
  s->add_option("SWEEP", a.file, "Sweep file (YAML)")->required();
  s->add_option("-o,--output", a.out, "Results file (default: <sweep name>.h5 in the current folder)");
  s->add_flag("-q,--quiet", a.quiet, "Print nothing unless something goes wrong");
  s->add_option("--jobs", a.jobs, "Worker processes on this machine (0: all cores; under mpirun: 1 beside rank 0's coordination)");
  s->add_option("--threads", a.threads, "Threads per worker (default 1)");
  s->add_option("--backend", a.backend, "Physics backend: cpu | cuda | emulated-cuda | auto");
  s->add_option("--batch", a.batch, "Most physics variants run as worlds of one simulation (1: no batching)");
  s->add_flag("--list", a.list, "Print the variants and exit");
  s->add_option("--scene-of", a.scene_of, "Print variant N's scene (as `werk run` would read it) and exit");
  s->add_option("--csv", a.csv, "Also write the ranked table as CSV");
  s->add_flag("--keep-trajectories", a.keep_trajectories, "Keep one H5MD trajectory file per variant (physics), linked from the results file");
  s->add_flag("--slurm", a.slurm, "Write a Slurm job array script (and a merge job) instead of running");
  s->add_option("--array-size", a.array_size, "Tasks of the Slurm job array (default: min(variants, 32))");
  s->add_option("--partition", a.partition, "Slurm partition");
  s->add_option("--time", a.time, "Slurm time limit per task (e.g. 01:00:00)");
  s->add_flag("--submit", a.submit, "With --slurm: submit the array and the dependent merge job");
  s->add_option("--task", a.task, "Run only task I of --tasks K (variants v with v % K == I) into a part file");
  s->add_option("--tasks", a.tasks, "Number of tasks (with --task or --merge)");
  s->add_flag("--merge", a.merge, "Merge the part files of a Slurm job array into the results file");
  s->add_flag("--worker", a.worker, "(internal) run variants named on stdin")->group("");
  s->add_option("--trajectory-dir", a.trajectory_dir, "(internal) where workers keep trajectories")->group("");
  return s;
}

namespace {

using sweep::Record;
using sweep::Spec;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

InputError usage(const std::string& m) { return InputError("command line", 0, 0, m); }

std::string self_exe() {
  std::error_code ec;
  std::string p = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  return ec ? std::string("werk") : p;
}

sweep::RunOptions run_options(const SweepArgs& a) {
  sweep::RunOptions o;
  o.backend = a.backend;
  o.threads = a.threads;
  o.batch = a.keep_trajectories || !a.trajectory_dir.empty() ? 1 : a.batch;
  o.trajectory_dir = a.trajectory_dir;
  return o;
}

std::string join_ints(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : " ") + std::to_string(x);
  return s;
}

std::vector<int> parse_ints(const std::string& line) {
  std::vector<int> v;
  std::istringstream in(line);
  int x;
  while (in >> x) v.push_back(x);
  return v;
}

// Runs one task line and returns the reply lines.
std::string run_task(const Spec& spec, const std::string& line, const sweep::RunOptions& o) {
  std::string out;
  for (const Record& r : sweep::run_variants(spec, parse_ints(line), o)) out += sweep::encode(r) + "\n";
  return out;
}

// `werk sweep FILE --worker`: tasks on stdin, records on stdout.
int worker_main(const SweepArgs& a) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the coordinator
  sweep::LoadOptions lo;
  lo.check_variants = false;
  Spec spec = sweep::load(a.file, lo);
  sweep::RunOptions o = run_options(a);
  std::string line;
  while (std::getline(std::cin, line) && !line.empty()) {
    std::string reply = run_task(spec, line, o);
    if (fwrite(reply.data(), 1, reply.size(), stdout) != reply.size()) return 1;
    fflush(stdout);
  }
  return 0;
}

// --- workers as the coordinator sees them -------------------------------------------

struct Worker {
  // local: a child process
  pid_t pid = -1;
  int to = -1, from = -1;
  std::string buffer;
  // MPI: a rank
  int rank = -1;
  std::vector<int> task;  // variants in flight (empty: idle)
  size_t replies = 0;     // records received for the task
  bool dead = false;
};

constexpr int kTagTask = 1, kTagResult = 2, kTagQuit = 3;
bool g_workers_released = false;  // MPI: the worker ranks were told to quit

Worker spawn_local(const SweepArgs& a) {
  int down[2], up[2];
  if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0) throw RuntimeError("cannot create a pipe for a worker");
  std::vector<std::string> args{self_exe(), "sweep", a.file, "--worker", "--threads", std::to_string(a.threads),
                                "--backend", a.backend, "--batch", std::to_string(a.batch)};
  if (!a.trajectory_dir.empty()) args.insert(args.end(), {"--trajectory-dir", a.trajectory_dir});
  pid_t pid = fork();
  if (pid < 0) throw RuntimeError("cannot start a worker process");
  if (pid == 0) {
    dup2(down[0], 0);
    dup2(up[1], 1);
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    // A worker never starts MPI, even when the coordinator runs under mpirun.
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(down[0]);
  close(up[1]);
  Worker w;
  w.pid = pid;
  w.to = down[1];
  w.from = up[0];
  return w;
}

class Coordinator {
 public:
  Coordinator(const Spec& spec, const SweepArgs& a, sweep::Results& res, std::string out)
      : spec_(spec), a_(a), res_(res), out_(std::move(out)) {}

  // Runs `tasks` on `local` child workers and the MPI ranks 1..nranks-1.
  // Returns false when a stop was requested.
  bool run(std::deque<std::vector<int>> tasks, int local, int nranks) {
    tasks_ = std::move(tasks);
    nranks_ = nranks;
    total_ = 0;
    for (const auto& t : tasks_) total_ += int(t.size());
    start_ = now_seconds();
    for (int i = 0; i < local && i < int(tasks_.size()); ++i) workers_.push_back(spawn_local(a_));
    for (int r = 1; r < nranks; ++r) {
      Worker w;
      w.rank = r;
      workers_.push_back(w);
    }
    signal(SIGPIPE, SIG_IGN);
    while (!stop_requested()) {
      for (Worker& w : workers_)
        if (!w.dead && w.task.empty() && !tasks_.empty()) hand_out(w);
      bool busy = false;
      for (Worker& w : workers_) busy |= !w.task.empty();
      if (!busy && tasks_.empty()) break;
      if (!busy && !tasks_.empty()) {  // every worker died: start another
        bool alive = false;
        for (Worker& w : workers_) alive |= !w.dead;
        if (!alive) workers_.push_back(spawn_local(a_));
        continue;
      }
      poll_local(nranks > 1 ? 2 : 100);
      poll_mpi();
      progress();
      if (now_seconds() - last_write_ > 1.0 && dirty_) save();
    }
    const bool stopped = stop_requested();
    shutdown(stopped);
    if (progress_drawn_) std::fprintf(stderr, "\r%100s\r", "");
    save();
    return !stopped;
  }

  void save() {
    sweep::write_results(out_, spec_, res_);
    last_write_ = now_seconds();
    dirty_ = false;
  }

 private:
  void hand_out(Worker& w) {
    w.task = tasks_.front();
    tasks_.pop_front();
    w.replies = 0;
    std::string line = join_ints(w.task) + "\n";
    if (w.rank >= 0) {
#ifdef WERK_HAVE_MPI
      MPI_Send(line.data(), int(line.size()), MPI_CHAR, w.rank, kTagTask, MPI_COMM_WORLD);
#endif
    } else if (write(w.to, line.data(), line.size()) != ssize_t(line.size())) {
      worker_died(w);
    }
  }

  void take(Worker& w, const std::string& line) {
    Record r;
    try {
      r = sweep::decode(line);
    } catch (const std::exception& e) {
      return;  // not a record (a stray line): the task's variants fail when the worker ends
    }
    if (r.variant < 0 || r.variant >= spec_.nvariant()) return;
    res_.records[r.variant] = r;
    ++w.replies;
    ++done_;
    if (!r.ok) ++failed_;
    dirty_ = true;
    if (w.replies >= w.task.size()) w.task.clear();
  }

  void worker_died(Worker& w) {
    int status = 0;
    if (w.pid > 0) waitpid(w.pid, &status, 0);
    close(w.to), close(w.from);
    w.dead = true;
    if (stop_requested()) return;
    std::string why = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                          : "exit status " + std::to_string(WEXITSTATUS(status));
    for (size_t i = w.replies; i < w.task.size(); ++i) {
      Record r;
      r.variant = w.task[i];
      r.ok = false;
      r.message = "the worker process running this variant ended (" + why + ")";
      res_.records[r.variant] = r;
      ++done_, ++failed_;
      dirty_ = true;
    }
    w.task.clear();
    if (!tasks_.empty()) workers_.push_back(spawn_local(a_));
  }

  void poll_local(int timeout_ms) {
    std::vector<pollfd> fds;
    std::vector<size_t> who;
    for (size_t i = 0; i < workers_.size(); ++i)
      if (workers_[i].pid > 0 && !workers_[i].dead) fds.push_back({workers_[i].from, POLLIN, 0}), who.push_back(i);
    if (fds.empty()) {
      if (timeout_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
      return;
    }
    if (poll(fds.data(), fds.size(), timeout_ms) <= 0) return;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      // workers_ may grow in worker_died: index, not reference.
      size_t i = who[k];
      char buf[65536];
      ssize_t n = read(workers_[i].from, buf, sizeof buf);
      if (n <= 0) {
        worker_died(workers_[i]);
        continue;
      }
      workers_[i].buffer.append(buf, size_t(n));
      size_t nl;
      while ((nl = workers_[i].buffer.find('\n')) != std::string::npos) {
        std::string line = workers_[i].buffer.substr(0, nl);
        workers_[i].buffer.erase(0, nl + 1);
        take(workers_[i], line);
      }
    }
  }

  void poll_mpi() {
#ifdef WERK_HAVE_MPI
    if (nranks_ <= 1) return;
    for (;;) {
      int flag = 0;
      MPI_Status st;
      MPI_Iprobe(MPI_ANY_SOURCE, kTagResult, MPI_COMM_WORLD, &flag, &st);
      if (!flag) return;
      int n = 0;
      MPI_Get_count(&st, MPI_CHAR, &n);
      std::string msg(size_t(n), '\0');
      MPI_Recv(msg.data(), n, MPI_CHAR, st.MPI_SOURCE, kTagResult, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      for (Worker& w : workers_) {
        if (w.rank != st.MPI_SOURCE) continue;
        std::istringstream in(msg);
        std::string line;
        while (std::getline(in, line))
          if (!line.empty()) take(w, line);
        w.task.clear();
      }
    }
#endif
  }

  void shutdown(bool stopped) {
    for (Worker& w : workers_) {
      if (w.pid > 0 && !w.dead) {
        close(w.to);  // end of input: an idle worker exits
        if (stopped || !w.task.empty()) kill(w.pid, SIGTERM);
        waitpid(w.pid, nullptr, 0);
        close(w.from);
        w.dead = true;
      }
#ifdef WERK_HAVE_MPI
      if (w.rank > 0 && !stopped) MPI_Send(nullptr, 0, MPI_CHAR, w.rank, kTagQuit, MPI_COMM_WORLD);
#endif
    }
    if (!stopped) g_workers_released = true;
  }

  void progress() {
    if (a_.quiet || !isatty(STDERR_FILENO)) return;
    double now = now_seconds();
    if (now - last_progress_ < 0.25) return;
    last_progress_ = now;
    double elapsed = now - start_;
    double eta = done_ > 0 ? elapsed * (total_ - done_) / done_ : 0;
    std::fprintf(stderr, "\r  variants %d / %d done, %d failed   ETA %.0f s   ", done_, total_, failed_, eta);
    std::fflush(stderr);
    progress_drawn_ = true;
  }

  const Spec& spec_;
  const SweepArgs& a_;
  sweep::Results& res_;
  std::string out_;
  std::deque<std::vector<int>> tasks_;
  std::vector<Worker> workers_;
  int nranks_ = 1, total_ = 0, done_ = 0, failed_ = 0;
  double start_ = 0, last_write_ = 0, last_progress_ = 0;
  bool dirty_ = false, progress_drawn_ = false;
};

#ifdef WERK_HAVE_MPI
// MPI ranks other than 0: run tasks until told to quit.
void mpi_worker(const SweepArgs& a) {
  sweep::LoadOptions lo;
  lo.check_variants = false;
  Spec spec = sweep::load(a.file, lo);
  sweep::RunOptions o = run_options(a);
  for (;;) {
    MPI_Status st;
    MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    int n = 0;
    MPI_Get_count(&st, MPI_CHAR, &n);
    std::string msg(size_t(n), '\0');
    MPI_Recv(msg.data(), n, MPI_CHAR, 0, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (st.MPI_TAG == kTagQuit) return;
    std::string reply = run_task(spec, msg, o);
    MPI_Send(reply.data(), int(reply.size()), MPI_CHAR, 0, kTagResult, MPI_COMM_WORLD);
  }
}
#endif

bool under_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

// --- tables -------------------------------------------------------------------------

struct Row {
  int variant;
  bool ok, feasible;
  std::vector<sweep::Stat> stats;  // per output
};

// Rows of cells in aligned columns, two spaces apart.
void print_cells(const std::vector<std::vector<std::string>>& cells, std::ostream& out) {
  std::vector<size_t> width;
  for (const auto& c : cells)
    for (size_t i = 0; i < c.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], c[i].size());
    }
  for (const auto& c : cells) {
    std::string line;
    for (size_t i = 0; i < c.size(); ++i) {
      std::string cell = c[i];
      cell.resize(width[i], ' ');
      line += (i ? "  " : "") + cell;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

std::vector<Row> ranked(const Spec& s, const sweep::Results& res) {
  std::vector<Row> rows;
  for (int v = 0; v < s.nvariant(); ++v) {
    const Record& r = res.records[v];
    Row row{v, r.variant >= 0 && r.ok, true, {}};
    for (size_t k = 0; k < s.outputs.size(); ++k)
      row.stats.push_back(row.ok && k < r.values.size() ? sweep::stat(r.values[k]) : sweep::Stat{});
    for (const sweep::Constraint& c : s.constraints) {
      double m = row.stats[s.output_index(c.output)].mean;
      if (!(m >= c.min && m <= c.max)) row.feasible = false;
    }
    if (!row.ok) row.feasible = false;
    rows.push_back(row);
  }
  const int obj = s.objective.empty() ? -1 : s.output_index(s.objective);
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& x, const Row& y) {
    if (x.ok != y.ok) return x.ok;
    if (x.feasible != y.feasible) return x.feasible;
    if (obj < 0) return false;
    double a = x.stats[obj].mean, b = y.stats[obj].mean;
    if (std::isnan(a) || std::isnan(b)) return !std::isnan(a) && std::isnan(b);
    return s.maximise ? a > b : a < b;
  });
  return rows;
}

std::string fmt(double x) {
  if (std::isnan(x)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

bool violates(const Spec& s, int k, double mean) {
  for (const sweep::Constraint& c : s.constraints)
    if (c.output == s.outputs[k].name && !(mean >= c.min && mean <= c.max)) return true;
  return false;
}

void print_table(const Spec& s, const sweep::Results& res, std::ostream& out) {
  std::vector<Row> rows = ranked(s, res);
  std::vector<int> order;  // outputs, objective first
  const int obj = s.objective.empty() ? -1 : s.output_index(s.objective);
  if (obj >= 0) order.push_back(obj);
  for (int k = 0; k < int(s.outputs.size()); ++k)
    if (k != obj) order.push_back(k);
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> head{"rank", "variant"};
  for (const auto& p : s.params) head.push_back(p.name + (p.unit.empty() ? "" : " (" + p.unit + ")"));
  for (int k : order)
    head.push_back((k == obj ? std::string(s.maximise ? "max " : "min ") : "") + s.outputs[k].name +
                   (s.outputs[k].unit.empty() ? "" : " (" + s.outputs[k].unit + ")"));
  cells.push_back(head);
  int rank = 0;
  for (const Row& r : rows) {
    std::vector<std::string> c{r.ok && r.feasible ? std::to_string(++rank) : r.ok ? "x" : "failed",
                               std::to_string(r.variant)};
    for (const auto& v : s.variants[r.variant]) c.push_back(v.text);
    for (int k : order) {
      const sweep::Stat& st = r.stats[k];
      std::string t = fmt(st.mean);
      if (!std::isnan(st.low)) t += " [" + fmt(st.low) + ", " + fmt(st.high) + "]";
      if (r.ok && violates(s, k, st.mean)) t += " !";
      c.push_back(t);
    }
    cells.push_back(c);
  }
  print_cells(cells, out);
  if (!s.constraints.empty()) {
    out << "x: violates a constraint (marked !):";
    for (const auto& c : s.constraints) {
      out << " " << c.output;
      if (std::isfinite(c.min)) out << " >= " << fmt(c.min);
      if (std::isfinite(c.min) && std::isfinite(c.max)) out << " and";
      if (std::isfinite(c.max)) out << " <= " << fmt(c.max);
      out << ";";
    }
    out << "\n";
  }
  if (s.needs_process() && s.replications > 1)
    out << "means with 95% confidence intervals over " << s.replications << " replications\n";
  else
    out << "one run per variant (no confidence intervals)\n";
  for (const Row& r : rows)
    if (!r.ok && res.records[r.variant].variant >= 0)
      out << "variant " << r.variant << " failed: " << res.records[r.variant].message << "\n";
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_csv(const Spec& s, const sweep::Results& res, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw RuntimeError("cannot write '" + path + "'");
  out << "rank,variant,status,feasible";
  for (const auto& p : s.params) out << "," << csv_field(p.name);
  for (const auto& o : s.outputs) out << "," << csv_field(o.name + "_mean") << "," << csv_field(o.name + "_ci95_low") << "," << csv_field(o.name + "_ci95_high");
  out << ",message\n";
  int rank = 0;
  for (const Row& r : ranked(s, res)) {
    const Record& rec = res.records[r.variant];
    out << (r.ok && r.feasible ? std::to_string(++rank) : "") << "," << r.variant << ","
        << (rec.variant < 0 ? "not run" : rec.ok ? "ok" : "failed") << "," << (r.feasible ? 1 : 0);
    for (const auto& v : s.variants[r.variant]) out << "," << csv_field(v.text);
    char buf[32];
    for (const auto& st : r.stats)
      for (double x : {st.mean, st.low, st.high}) {
        std::snprintf(buf, sizeof buf, "%.17g", x);
        out << "," << (std::isnan(x) ? "" : buf);
      }
    out << "," << csv_field(rec.message) << "\n";
  }
}

void print_list(const Spec& s) {
  std::cout << s.name << ": " << count_noun(s.nvariant(), "variant", "variants") << " (" << s.design << " design) x "
            << count_noun(s.replications, "replication", "replications") << ", scene " << s.scene_file << "\n";
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> head{"variant"};
  for (const auto& p : s.params) head.push_back(p.name);
  cells.push_back(head);
  for (int v = 0; v < s.nvariant(); ++v) {
    std::vector<std::string> c{std::to_string(v)};
    for (const auto& x : s.variants[v]) c.push_back(x.text);
    cells.push_back(c);
  }
  print_cells(cells, std::cout);
}

// --- Slurm ---------------------------------------------------------------------------

std::string slurm_folder(const Spec& s) { return s.name + "-sweep"; }
std::string part_path(const std::string& folder, int i) { return folder + "/parts/part-" + std::to_string(i) + ".h5"; }

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string run_capture(const std::string& cmd, int& status) {
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  status = pclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

int slurm_command(const Spec& s, const SweepArgs& a) {
  namespace fs = std::filesystem;
  const int k = a.array_size > 0 ? std::min(a.array_size, s.nvariant()) : std::min(s.nvariant(), 32);
  const fs::path folder = fs::absolute(slurm_folder(s));
  fs::create_directories(folder / "parts");
  fs::create_directories(folder / "logs");
  const std::string werk = shell_quote(self_exe()), file = shell_quote(fs::absolute(a.file).string());
  std::string header = "#!/bin/bash\n";
  if (!a.partition.empty()) header += "#SBATCH --partition=" + a.partition + "\n";
  if (!a.time.empty()) header += "#SBATCH --time=" + a.time + "\n";
  {
    std::ofstream o(folder / "sweep.sbatch");
    o << header << "#SBATCH --job-name=werk-" << s.name << "\n"
      << "#SBATCH --array=0-" << k - 1 << "\n"
      << "#SBATCH --requeue\n"
      << "#SBATCH --output=" << (folder / "logs" / "task-%a.out").string() << "\n"
      << "# Each task runs its share of the variants into its own part file; a\n"
      << "# requeued task resumes from that file and skips what is complete.\n"
      << "exec " << werk << " sweep " << file << " --task \"$SLURM_ARRAY_TASK_ID\" --tasks " << k << " -q \\\n"
      << "  -o " << shell_quote((folder / "parts").string()) << "/part-\"$SLURM_ARRAY_TASK_ID\".h5"
      << " --jobs \"${SLURM_CPUS_PER_TASK:-1}\"\n";
  }
  {
    std::ofstream o(folder / "merge.sbatch");
    o << header << "#SBATCH --job-name=werk-" << s.name << "-merge\n"
      << "#SBATCH --output=" << (folder / "logs" / "merge.out").string() << "\n"
      << "exec " << werk << " sweep " << file << " --merge --tasks " << k << " -o "
      << shell_quote((folder / (s.name + ".h5")).string()) << " --csv " << shell_quote((folder / (s.name + ".csv")).string())
      << "\n";
  }
  if (!a.quiet)
    std::cout << "werk: wrote " << (folder / "sweep.sbatch").string() << " (" << k << " array tasks for "
              << count_noun(s.nvariant(), "variant", "variants") << ") and " << (folder / "merge.sbatch").string() << "\n";
  if (!a.submit) {
    if (!a.quiet)
      std::cout << "submit with: jid=$(sbatch --parsable " << (folder / "sweep.sbatch").string()
                << ") && sbatch --dependency=afterany:$jid " << (folder / "merge.sbatch").string() << "\n";
    return 0;
  }
  int status = 0;
  std::string jid = run_capture("sbatch --parsable " + shell_quote((folder / "sweep.sbatch").string()), status);
  if (status != 0) throw RuntimeError("sbatch failed: " + jid);
  jid = jid.substr(0, jid.find(';'));
  std::string mid = run_capture("sbatch --parsable --dependency=afterany:" + jid + " " +
                                    shell_quote((folder / "merge.sbatch").string()), status);
  if (status != 0) throw RuntimeError("sbatch of the merge job failed: " + mid);
  if (!a.quiet)
    std::cout << "werk: submitted job array " << jid << " and merge job " << mid.substr(0, mid.find(';')) << "; results in "
              << (folder / (s.name + ".h5")).string() << "\n";
  return 0;
}

int finish(const Spec& s, const sweep::Results& res, const SweepArgs& a, const std::string& out, bool complete) {
  if (!a.csv.empty()) write_csv(s, res, a.csv);
  int ok = 0, failed = 0, missing = 0;
  for (int v = 0; v < s.nvariant(); ++v) {
    const Record& r = res.records[v];
    if (r.variant < 0) ++missing;
    else if (r.ok) ++ok;
    else ++failed;
  }
  if (!a.quiet) {
    if (a.task < 0) print_table(s, res, std::cout);
    std::fprintf(stderr, "werk: %s: %d ok, %d failed%s; wrote %s%s\n", s.name.c_str(), ok, failed,
                 missing ? (", " + std::to_string(missing) + " not run").c_str() : "", out.c_str(),
                 a.csv.empty() ? "" : (" and " + a.csv).c_str());
  }
  if (!complete) return 128 + (stop_signal() ? stop_signal() : 15);
  return failed == 0 && missing == 0 ? 0 : 1;
}

int coordinate(const SweepArgs& a, bool mpi, int nranks);

}  // namespace

int sweep_command(const SweepArgs& a) {
  if (a.worker) return worker_main(a);
  if (a.jobs < 0) throw usage("--jobs: expected an integer >= 0, found " + std::to_string(a.jobs));
  if (a.threads < 0) throw usage("--threads: expected an integer >= 0, found " + std::to_string(a.threads));
  if (a.batch < 1) throw usage("--batch: expected an integer >= 1, found " + std::to_string(a.batch));
  if (a.task >= 0 && (a.tasks < 1 || a.task >= a.tasks))
    throw usage("--task: expected 0 <= I < --tasks K, found --task " + std::to_string(a.task) + " --tasks " + std::to_string(a.tasks));
  if (a.task >= 0 && a.merge) throw usage("--task and --merge: expected one of them, found both");
  if (a.submit && !a.slurm) throw usage("--submit: expected --slurm with it, found none");

  int rank = 0, nranks = 1;
  const bool mpi = under_mpirun() && !a.list && a.scene_of < 0 && !a.slurm && !a.merge;
#ifdef WERK_HAVE_MPI
  if (mpi) {
    MPI_Init(nullptr, nullptr);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
  }
  struct Finalize {
    bool on;
    ~Finalize() {
      if (on) MPI_Finalize();
    }
  } finalize{mpi};
  if (rank > 0) {
    mpi_worker(a);
    return 0;
  }
#else
  if (mpi) std::fprintf(stderr, "werk: this build has no MPI support: every rank runs the whole sweep\n");
#endif
  try {
    return coordinate(a, mpi, nranks);
  } catch (...) {
#ifdef WERK_HAVE_MPI
    // A bad sweep file or a failure on rank 0: let the waiting ranks go.
    if (mpi && !g_workers_released)
      for (int r = 1; r < nranks; ++r) MPI_Send(nullptr, 0, MPI_CHAR, r, kTagQuit, MPI_COMM_WORLD);
#endif
    throw;
  }
}

namespace {

int coordinate(const SweepArgs& a, bool mpi, int nranks) {
  Spec spec = sweep::load(a.file);
  if (a.list) {
    print_list(spec);
    return 0;
  }
  if (a.scene_of >= 0) {
    if (a.scene_of >= spec.nvariant())
      throw usage("--scene-of: expected a variant in [0, " + std::to_string(spec.nvariant() - 1) + "], found " + std::to_string(a.scene_of));
    std::cout << sweep::variant_text(spec, a.scene_of);
    return 0;
  }
  if (a.slurm) return slurm_command(spec, a);

  namespace fs = std::filesystem;
  if (a.merge) {
    const std::string folder = slurm_folder(spec);
    const std::string out = a.out.empty() ? folder + "/" + spec.name + ".h5" : a.out;
    sweep::Results res;
    res.records.resize(spec.nvariant());
    int k = a.tasks;
    if (k < 1) {  // every part file there
      k = 0;
      while (fs::exists(part_path(folder, k))) ++k;
    }
    for (int i = 0; i < k; ++i) {
      std::string p = part_path(folder, i);
      if (!fs::exists(p)) {
        std::fprintf(stderr, "werk: no part file %s: its variants are missing\n", p.c_str());
        continue;
      }
      sweep::Results part = sweep::read_results(p, spec);
      for (int v = 0; v < spec.nvariant(); ++v)
        if (part.records[v].variant >= 0 && (res.records[v].variant < 0 || part.records[v].ok)) res.records[v] = part.records[v];
    }
    sweep::write_results(out, spec, res);
    return finish(spec, res, a, out, true);
  }

  std::string out = a.out;
  if (out.empty()) out = a.task >= 0 ? part_path(slurm_folder(spec), a.task) : spec.name + ".h5";
  {
    std::string dir = fs::path(out).parent_path().string();
    if (!dir.empty()) fs::create_directories(dir);
    std::error_code ec;
    if (fs::is_directory(out, ec)) throw usage("--output: expected a file name, found the folder '" + out + "'");
  }
  SweepArgs args = a;
  if (a.keep_trajectories) {
    args.trajectory_dir = (fs::path(out).parent_path() / (fs::path(out).stem().string() + "_trajectories")).string();
    if (args.trajectory_dir.rfind("/", 0) != 0 && fs::path(out).parent_path().empty())
      args.trajectory_dir = fs::path(out).stem().string() + "_trajectories";
    fs::create_directories(args.trajectory_dir);
    args.batch = 1;
  }
  args.file = fs::absolute(a.file).string();

  // Resume: what the results file already holds complete is kept.
  sweep::Results res;
  res.records.resize(spec.nvariant());
  if (fs::exists(out)) {
    sweep::Results old = sweep::read_results(out, spec);
    for (int v = 0; v < spec.nvariant(); ++v)
      if (old.records[v].variant >= 0 && old.records[v].ok) res.records[v] = old.records[v];
  }
  std::vector<int> todo;
  for (int v = 0; v < spec.nvariant(); ++v)
    if (res.records[v].variant < 0 && (a.task < 0 || v % a.tasks == a.task)) todo.push_back(v);
  int local = a.jobs > 0 ? a.jobs : (nranks > 1 ? 1 : int(std::max(1u, std::thread::hardware_concurrency())));
  // Batches small enough that every worker gets some.
  const int workers = local + nranks - 1;
  int chunk = std::max(1, std::min(args.batch, int((todo.size() + workers - 1) / std::max(1, workers))));
  std::deque<std::vector<int>> tasks;
  for (auto& t : sweep::plan_batches(spec, todo, chunk)) tasks.push_back(t);
  if (!a.quiet && todo.size() < size_t(spec.nvariant()) && a.task < 0) {
    if (todo.empty())
      std::fprintf(stderr, "werk: %s: all %d variants already complete in %s\n", spec.name.c_str(), spec.nvariant(), out.c_str());
    else
      std::fprintf(stderr, "werk: %s: %zu of %d variants already complete in %s; running the other %zu\n", spec.name.c_str(),
                   spec.nvariant() - todo.size(), spec.nvariant(), out.c_str(), todo.size());
  }
  install_stop_handlers();
  Coordinator c(spec, args, res, out);
  bool complete = c.run(std::move(tasks), local, nranks);
#ifdef WERK_HAVE_MPI
  if (mpi && !complete) MPI_Abort(MPI_COMM_WORLD, 128 + (stop_signal() ? stop_signal() : 15));
#endif
  return finish(spec, res, a, out, complete);
}

}  // namespace

}  // namespace werk::cli
