// What-if sweeps: a sweep file names a base scene, parameters (paths into
// the scene document) with their values, a design that turns them into
// variants, and the KPIs to collect. See docs/sweeps.md.
//
// A variant's scene is the base scene's YAML document with the parameter
// values written in, compiled by the ordinary scene and process compilers,
// so a variant behaves exactly as `werk run` on that edited scene.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "werk/model.h"
#include "yaml_read.h"

namespace werk::sweep {

// Where something was written in the sweep file (1-based; 0 unknown).
struct Location {
  int line = 0, column = 0;
};

// One parameter value: its text as it goes into the scene, and the number
// it stands for (NaN for text and booleans).
struct Value {
  std::string text;
  double number = 0;
  bool numeric = false;
};

struct Parameter {
  std::string path;   // e.g. process.objects.b20.capacity, conveyors[infeed].speed
  std::string name;   // column name (default: the path)
  std::string unit;
  bool integer = false;
  std::vector<Value> values;  // a list or a range (grid, cases)
  double min = 0, max = 0;    // bounds (lhs, sobol)
  bool bounded = false;
  Location at;
};

enum class Figure { process_kpi, bodies_inside, max_overlap, last_motion, wall_time };

// One collected output: a process KPI by name or a physics figure.
struct Output {
  std::string name;
  Figure figure = Figure::process_kpi;
  std::string kpi;                  // process KPI name (process_kpi)
  std::vector<std::string> inside;  // static body names, "prefix*" allowed (bodies_inside)
  double speed = 0.01;              // m/s threshold (last_motion)
  std::string unit;
  Location at;
};

struct Constraint {
  std::string output;
  double min = -HUGE_VAL, max = HUGE_VAL;
  Location at;
};

struct Spec {
  std::string file;          // the sweep file as named
  std::string text;          // its text
  std::string sha256;        // of the text
  std::string name;          // the sweep's name (file stem)
  std::string scene_file;    // the base scene, resolved against the sweep file's folder
  std::string scene_text;
  std::string design = "grid";  // grid | cases | lhs | sobol
  int samples = 0;               // lhs, sobol
  bool scramble = true;          // sobol
  std::vector<Parameter> params;
  std::vector<std::vector<Value>> variants;  // [variant][parameter]
  std::string duration;      // simulated time of every variant (s), as `werk run --duration`; empty: the scene's
  int replications = 1;      // per variant (process scenes)
  uint64_t seed = 0;         // base seed of every variant (common random numbers)
  bool has_process = false;  // the scene has a process: section
  bool has_physics = false;  // the scene has bodies
  std::vector<Output> outputs;
  std::string objective;     // an output name, or empty
  bool maximise = true;
  std::vector<Constraint> constraints;
  YAML::Node scene_root;     // the base scene's document (never modified)

  int nvariant() const { return int(variants.size()); }
  int output_index(const std::string& name) const;
  bool needs_physics() const;
  bool needs_process() const;
};

struct LoadOptions {
  // Compile every variant's scene now (a bad one is an InputError located
  // at its parameter); workers that only run some variants skip this.
  bool check_variants = true;
};

// Reads, validates and expands a sweep file. Throws InputError.
Spec load(const std::string& path, const LoadOptions& options = {});
// The same for a sweep file's text; `path` names it in messages and is the
// folder a relative `scene:` is found from.
Spec load_text(const std::string& path, const std::string& text, const LoadOptions& options = {});

// The scene document of variant v: a deep copy of the base with the
// variant's values written in. Throws InputError at the parameter.
YAML::Node variant_document(const Spec& spec, int v);
std::string variant_text(const Spec& spec, int v);

// Design generation (exposed for tests): unit-cube points in [0, 1)^d.
std::vector<std::vector<double>> latin_hypercube(int samples, int dims, uint64_t seed);
// Sobol points from Boost.Random (Joe and Kuo direction numbers), the
// first being the origin; scrambled by a seeded random digital shift.
std::vector<std::vector<double>> sobol_points(int samples, int dims, bool scramble, uint64_t seed);

// The shortest text that reads back as exactly x.
std::string number_text(double x);

// --- running ---------------------------------------------------------------

// One variant's result: per output, one value per replication.
struct Record {
  int variant = -1;
  bool ok = false;
  std::string message;                      // why it failed
  std::vector<std::vector<double>> values;  // [output][replication]
  double wall_seconds = 0;
  uint64_t state_hash = 0;                  // physics: final state of its world
  std::string trajectory;                   // H5MD file with its trajectory, if kept
};

struct RunOptions {
  std::string backend = "cpu";
  int threads = 1;
  int batch = 64;                  // most worlds in one Simulation; 1: no batching
  std::string trajectory_dir;      // keep per-variant H5MD files here when not empty
};

// Variants that may run as worlds of one Simulation: lists of variant
// indices (in order) whose scenes compile to the same Model except for
// per-world quantities; every other variant is a list of its own.
std::vector<std::vector<int>> plan_batches(const Spec& spec, const std::vector<int>& variants, int batch);

// Runs variants (one batch, or one variant at a time); never throws for a
// variant's own failure: it becomes a failed Record.
std::vector<Record> run_variants(const Spec& spec, const std::vector<int>& variants, const RunOptions& options);

// Record <-> one line of text (the worker protocol).
std::string encode(const Record& r);
Record decode(const std::string& line);

// --- results file ------------------------------------------------------------

// Everything a results file holds about its variants.
struct Results {
  std::vector<Record> records;  // one per variant, by index; variant < 0: not run yet
};

// Writes the whole results file atomically (a temporary file renamed over
// `path`): either the old file or the new one is there, never a mix.
void write_results(const std::string& path, const Spec& spec, const Results& results);
// Reads the records of a results file written for the same sweep (same
// SHA-256); throws InputError naming the file when it belongs to another.
Results read_results(const std::string& path, const Spec& spec);
bool is_results_file(const std::string& path);

// Statistics of one output of one variant over its replications.
struct Stat {
  double mean = NAN, low = NAN, high = NAN;
};
Stat stat(const std::vector<double>& values);

}  // namespace werk::sweep
