// Sweep files: reading, validation, designs and variant scenes.
#include <boost/random/sobol.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "process/experiment.h"
#include "sweep/sweep.h"
#include "werk/error.h"
#include "werk/process.h"
#include "werk/recorder.h"
#include "werk/scene.h"
#include "werk_limits.h"

namespace werk::sweep {

using yaml::MapReader;
using yaml::Source;

std::string number_text(double x) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

int Spec::output_index(const std::string& n) const {
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].name == n) return int(i);
  return -1;
}
bool Spec::needs_physics() const {
  for (const Output& o : outputs)
    if (o.figure != Figure::process_kpi) return true;
  return false;
}
bool Spec::needs_process() const {
  for (const Output& o : outputs)
    if (o.figure == Figure::process_kpi) return true;
  return false;
}

namespace {

Location at(const YAML::Node& n) {
  YAML::Mark m = n.Mark();
  return m.line >= 0 ? Location{m.line + 1, m.column + 1} : Location{};
}

[[noreturn]] void fail_at(const Spec& s, Location l, const std::string& message) {
  throw InputError(s.file, l.line, l.column, message);
}

// --- parameter paths ---------------------------------------------------------

// A path segment: a map key, optionally followed by [selector]s that pick a
// list entry by its `name` or by its 0-based index.
struct Segment {
  std::string key;
  std::vector<std::string> selectors;
};

std::vector<Segment> parse_path(const std::string& path, std::string& error) {
  std::vector<Segment> out;
  size_t i = 0;
  while (i <= path.size()) {
    Segment s;
    while (i < path.size() && path[i] != '.' && path[i] != '[') s.key += path[i++];
    while (i < path.size() && path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos || close == i + 1) {
        error = "a '[name]' or '[index]' selector is not closed or empty";
        return {};
      }
      s.selectors.push_back(path.substr(i + 1, close - i - 1));
      i = close + 1;
    }
    if (s.key.empty() && (out.empty() || s.selectors.empty())) {
      error = out.empty() && i == 0 ? "a path must start with a key" : "an empty key between dots";
      return {};
    }
    out.push_back(s);
    if (i == path.size()) break;
    if (path[i] != '.') {
      error = std::string("expected '.' or '[' after ']', found '") + path[i] + "'";
      return {};
    }
    ++i;
    if (i == path.size()) {
      error = "a path must not end with '.'";
      return {};
    }
  }
  return out;
}

// The entry of list `seq` selected by `sel`: the map whose name is `sel`,
// else the element at index `sel`.
YAML::Node select(YAML::Node seq, const std::string& sel, std::string& error, const std::string& where) {
  if (!seq.IsSequence()) {
    error = where + " is " + yaml::describe(seq) + ", not a list: [" + sel + "] selects nothing";
    return YAML::Node(YAML::NodeType::Undefined);
  }
  for (size_t k = 0; k < seq.size(); ++k) {
    YAML::Node e = seq[k];
    if (e.IsMap() && e["name"] && e["name"].IsScalar() && e["name"].Scalar() == sel) return e;
  }
  bool digits = !sel.empty() && std::all_of(sel.begin(), sel.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    // An index too long for a size_t is past the end like any other.
    size_t k = 0;
    const auto parsed = std::from_chars(sel.data(), sel.data() + sel.size(), k);
    if (parsed.ec == std::errc() && k < seq.size()) return seq[k];
    error = where + " has " + std::to_string(seq.size()) + " entries, found index " + sel;
    return YAML::Node(YAML::NodeType::Undefined);
  }
  std::string names;
  for (size_t k = 0; k < seq.size(); ++k)
    if (seq[k].IsMap() && seq[k]["name"] && seq[k]["name"].IsScalar())
      names += (names.empty() ? "" : ", ") + seq[k]["name"].Scalar();
  error = where + " has no entry named '" + sel + "'" + (names.empty() ? "" : " (entries: " + names + ")");
  return YAML::Node(YAML::NodeType::Undefined);
}

// The node at `path` in `root` (which is modified through the result), or
// an undefined node with `error` set.
YAML::Node resolve(YAML::Node root, const std::string& path, std::string& error) {
  std::vector<Segment> segs = parse_path(path, error);
  if (segs.empty()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node cur = root;
  std::string where = "the scene";
  for (const Segment& s : segs) {
    if (!s.key.empty()) {
      if (!cur.IsMap()) {
        error = where + " is " + yaml::describe(cur) + ", not a map: it has no key '" + s.key + "'";
        return YAML::Node(YAML::NodeType::Undefined);
      }
      // A key that is not there (const lookup: nothing is created).
      const YAML::Node& ccur = cur;
      if (!ccur[s.key]) {
        std::string keys;
        for (auto it = ccur.begin(); it != ccur.end(); ++it) keys += (keys.empty() ? "" : ", ") + it->first.Scalar();
        error = (where == "the scene" ? std::string("the scene has no key '") : where + " has no key '") + s.key +
                "' (keys: " + keys + ")";
        return YAML::Node(YAML::NodeType::Undefined);
      }
      cur.reset(cur[s.key]);
      where = where == "the scene" ? s.key : where + "." + s.key;
    }
    for (const std::string& sel : s.selectors) {
      YAML::Node next = select(cur, sel, error, where);
      if (!next.IsDefined()) return next;
      cur.reset(next);
      where += "[" + sel + "]";
    }
  }
  return cur;
}

enum class Kind { number, text, boolean };

Kind kind_of(const std::string& s) {
  if (s == "true" || s == "false") return Kind::boolean;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' ? Kind::number : Kind::text;
}

const char* kind_name(Kind k) { return k == Kind::number ? "a number" : k == Kind::boolean ? "true or false" : "text"; }

// --- reading the file ----------------------------------------------------------

Value read_value(const Spec& s, const Source& src, const YAML::Node& n, const Parameter& p) {
  if (!n.IsScalar()) yaml::fail(src, n, p.path + ": expected a value (number, text, true/false), found " + yaml::describe(n));
  Value v;
  v.text = n.Scalar();
  if (kind_of(v.text) == Kind::number) {
    v.number = yaml::as_number(src, n, p.path);
    v.numeric = true;
    if (p.integer && v.number != std::floor(v.number))
      yaml::fail(src, n, p.path + ": expected an integer (integer: true), found " + v.text);
  } else {
    v.number = NAN;
    if (p.integer) yaml::fail(src, n, p.path + ": expected an integer (integer: true), found '" + v.text + "'");
  }
  (void)s;
  return v;
}

Value number_value(double x) {
  Value v;
  v.number = x;
  v.numeric = true;
  v.text = number_text(x);
  return v;
}

Parameter read_parameter(Spec& s, const Source& src, const YAML::Node& key, const YAML::Node& node) {
  Parameter p;
  p.path = yaml::as_string(src, key, "parameters");
  p.name = p.path;
  p.at = at(key);
  std::string error;
  parse_path(p.path, error);
  if (!error.empty()) yaml::fail(src, key, "parameter '" + p.path + "': expected a path like a.b[name].c, found " + error);
  if (node.IsSequence()) {
    if (node.size() == 0) yaml::fail(src, node, p.path + ": expected at least one value, found an empty list");
    for (const auto& v : node) p.values.push_back(read_value(s, src, v, p));
    return p;
  }
  if (node.IsNull() && s.design == "cases") return p;
  if (!node.IsMap())
    yaml::fail(src, node, p.path + ": expected a list of values, {from, to, step}, {min, max} or {values: [...]}, found " +
                              yaml::describe(node));
  MapReader r(src, node, p.path);
  p.name = r.string("name", p.path);
  p.unit = r.string("unit", "");
  p.integer = r.boolean("integer", false);
  const bool list = r.has("values"), range = r.has("from") || r.has("to") || r.has("step"),
             bounds = r.has("min") || r.has("max");
  if (int(list) + int(range) + int(bounds) > 1)
    yaml::fail(src, node, p.path + ": expected one of values, {from, to, step} or {min, max}, found more than one");
  if (list) {
    YAML::Node vs = r.required("values");
    if (!vs.IsSequence() || vs.size() == 0) yaml::fail(src, vs, p.path + ".values: expected a non-empty list, found " + yaml::describe(vs));
    for (const auto& v : vs) p.values.push_back(read_value(s, src, v, p));
  } else if (range) {
    const double from = r.number("from"), to = r.number("to"), step = r.positive("step");
    if (to < from) yaml::fail(src, r.required("to"), p.path + ".to: expected a value >= from (" + number_text(from) + "), found " + number_text(to));
    // Values from + k*step up to `to`, with a little slack for rounding
    // (0.1 steps from 0 reach 0.3).
    const double n = std::floor((to - from) / step + 1e-9);
    if (n > 1e6) yaml::fail(src, r.required("step"), p.path + ".step: expected at most a million values, found " + number_text(n + 1));
    for (int k = 0; k <= int(n); ++k) {
      double x = from + k * step;
      if (p.integer) {
        if (x != std::floor(x)) yaml::fail(src, node, p.path + ": expected integer values (integer: true), found " + number_text(x));
      }
      p.values.push_back(number_value(x));
    }
  } else if (bounds) {
    p.min = r.number("min");
    p.max = r.number("max");
    p.bounded = true;
    if (!(p.max > p.min)) yaml::fail(src, r.required("max"), p.path + ".max: expected a value > min (" + number_text(p.min) + "), found " + number_text(p.max));
  } else if (s.design != "cases") {
    yaml::fail(src, node, p.path + ": expected values, {from, to, step} or {min, max}, found none of them");
  }
  r.finish();
  return p;
}

Output read_output(Spec& s, const Source& src, const YAML::Node& n) {
  Output o;
  o.at = at(n);
  auto figure_of = [&](const std::string& f, const YAML::Node& where) {
    if (f == "bodies_inside") return Figure::bodies_inside;
    if (f == "max_overlap") return Figure::max_overlap;
    if (f == "last_motion") return Figure::last_motion;
    if (f == "wall_time") return Figure::wall_time;
    yaml::fail(src, where, "figure: expected bodies_inside, max_overlap, last_motion or wall_time, found '" + f + "'");
  };
  if (n.IsScalar()) {
    o.name = n.Scalar();
    if (o.name == "max_overlap" || o.name == "wall_time") {
      o.figure = figure_of(o.name, n);
    } else {
      o.kpi = o.name;
    }
  } else if (n.IsMap()) {
    MapReader r(src, n, "outputs");
    o.name = r.string("name");
    if (r.has("kpi") && r.has("figure")) yaml::fail(src, n, "outputs: expected kpi or figure, found both");
    if (r.has("figure")) {
      o.figure = figure_of(r.string("figure"), r.required("figure"));
      if (o.figure == Figure::bodies_inside) {
        YAML::Node in = r.required("inside");
        if (in.IsScalar()) o.inside.push_back(in.Scalar());
        else if (in.IsSequence() && in.size() > 0)
          for (const auto& e : in) o.inside.push_back(yaml::as_string(src, e, o.name + ".inside"));
        else yaml::fail(src, in, o.name + ".inside: expected a static body name or a list of them, found " + yaml::describe(in));
      }
      if (o.figure == Figure::last_motion) o.speed = r.positive("speed", 0.01);
    } else {
      o.kpi = r.string("kpi", o.name);
    }
    r.finish();
  } else {
    yaml::fail(src, n, "outputs: expected a KPI name or {name, kpi | figure, ...}, found " + yaml::describe(n));
  }
  if (s.output_index(o.name) >= 0) yaml::fail(src, n, "outputs: expected unique names, found '" + o.name + "' twice");
  switch (o.figure) {
    case Figure::bodies_inside: o.unit = "bodies"; break;
    case Figure::max_overlap: o.unit = "m"; break;
    case Figure::last_motion: o.unit = "s"; break;
    case Figure::wall_time: o.unit = "s"; break;
    default: break;
  }
  return o;
}

// The variant limit as a person writes it ("a million").
std::string variant_limit() {
  return limits::kVariants == 1000000 ? std::string("a million") : std::to_string(limits::kVariants);
}

void generate_variants(Spec& s, const Source& src, const YAML::Node& design_node, const YAML::Node& rows) {
  const int d = int(s.params.size());
  if (s.design == "grid") {
    size_t total = 1;
    for (const Parameter& p : s.params) {
      if (p.bounded)
        fail_at(s, p.at, p.path + ": expected values or {from, to, step} for a grid design, found {min, max} (bounds are for lhs and sobol)");
      total *= p.values.size();
      if (total > size_t(limits::kVariants))
        fail_at(s, p.at, "parameters: expected at most " + variant_limit() + " variants, found more");
    }
    // Row-major: the first parameter changes slowest, as in nested loops.
    for (size_t v = 0; v < total; ++v) {
      std::vector<Value> row(d);
      size_t rest = v;
      for (int k = d - 1; k >= 0; --k) {
        row[k] = s.params[k].values[rest % s.params[k].values.size()];
        rest /= s.params[k].values.size();
      }
      s.variants.push_back(row);
    }
  } else if (s.design == "cases") {
    if (!rows || !rows.IsSequence() || rows.size() == 0)
      yaml::fail(src, rows ? rows : design_node, "design.rows: expected a list of rows, one value per parameter, found " + yaml::describe(rows));
    for (const auto& row : rows) {
      if (!row.IsSequence() || int(row.size()) != d)
        yaml::fail(src, row, "design.rows: expected a list of " + std::to_string(d) + " values (one per parameter, in order), found " +
                                 (row.IsSequence() ? std::to_string(row.size()) + " values" : yaml::describe(row)));
      std::vector<Value> r;
      for (int k = 0; k < d; ++k) r.push_back(read_value(s, src, row[k], s.params[k]));
      s.variants.push_back(r);
    }
  } else {
    for (const Parameter& p : s.params)
      if (!p.bounded) fail_at(s, p.at, p.path + ": expected bounds {min, max} for a " + s.design + " design, found a list of values");
    std::vector<std::vector<double>> u =
        s.design == "lhs" ? latin_hypercube(s.samples, d, s.seed) : sobol_points(s.samples, d, s.scramble, s.seed);
    for (const auto& pt : u) {
      std::vector<Value> row;
      for (int k = 0; k < d; ++k) {
        const Parameter& p = s.params[k];
        double x = p.min + pt[k] * (p.max - p.min);
        // Integer parameters: the integer whose unit interval holds x, over
        // [min, max] with both ends included.
        if (p.integer) x = std::min(std::floor(p.min + pt[k] * (p.max - p.min + 1)), p.max);
        row.push_back(number_value(x));
      }
      s.variants.push_back(row);
    }
  }
}

}  // namespace

// --- designs ---------------------------------------------------------------------

std::vector<std::vector<double>> latin_hypercube(int n, int d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  std::vector<std::vector<double>> pts(n, std::vector<double>(d));
  for (int k = 0; k < d; ++k) {
    std::vector<int> perm(n);
    for (int i = 0; i < n; ++i) perm[i] = i;
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int i = 0; i < n; ++i) pts[i][k] = (perm[i] + u01(rng)) / n;
  }
  return pts;
}

std::vector<std::vector<double>> sobol_points(int n, int d, bool scramble, uint64_t seed) {
  std::vector<std::vector<double>> pts(n, std::vector<double>(d));
  if (d == 0) return pts;
  // 32-bit integers per coordinate (boost::random::sobol itself yields 64).
  boost::random::sobol_engine<uint32_t, 32, boost::random::default_sobol_table> gen(d);
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> shift(d, 0);
  if (scramble)
    for (int k = 0; k < d; ++k) shift[k] = uint32_t(rng() >> 32);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < d; ++k) {
      // Boost starts after the origin; point 0 is the origin itself.
      uint32_t x = i == 0 ? 0u : uint32_t(gen());
      pts[i][k] = double(x ^ shift[k]) / 4294967296.0;
    }
  }
  return pts;
}

// --- the file ----------------------------------------------------------------------

Spec load(const std::string& path, const LoadOptions& options) {
  return load_text(path, yaml::read_file(Source{path}, "sweep file", limits::kSceneFileBytes), options);
}

Spec load_text(const std::string& path, const std::string& text, const LoadOptions& options) {
  Spec s;
  s.file = path;
  Source src{path};
  s.text = text;
  yaml::check_text(src, s.text);
  s.sha256 = sha256_hex(s.text);
  s.name = std::filesystem::path(path).stem().string();
  YAML::Node root = yaml::load_string(src, s.text);
  if (!root.IsMap()) yaml::fail(src, root, "sweep: expected a map with scene:, parameters: and outputs:, found " + yaml::describe(root));
  MapReader top(src, root, "");

  // The base scene.
  YAML::Node scene_node = top.required("scene");
  std::string scene = yaml::as_string(src, scene_node, "scene");
  std::filesystem::path sp(scene);
  if (sp.is_relative()) sp = std::filesystem::path(path).parent_path() / sp;
  s.scene_file = sp.lexically_normal().string();
  {
    std::error_code ec;
    if (!std::filesystem::exists(s.scene_file, ec))
      yaml::fail(src, scene_node, "scene: expected a readable scene file, found no file '" + s.scene_file + "'");
    try {
      s.scene_text = yaml::read_file(Source{s.scene_file}, "scene file", limits::kSceneFileBytes);
    } catch (const InputError& e) {
      yaml::fail(src, scene_node, "scene: expected a readable scene file, found '" + s.scene_file + "': " + e.message());
    }
  }
  Model base;
  try {
    base = compile_scene(s.scene_text, s.scene_file);
    Source ssrc{s.scene_file};
    s.scene_root = yaml::load_string(ssrc, s.scene_text);
    s.has_process = process::has_process(s.scene_root);
    if (s.has_process) process::validate(ssrc, s.scene_root);
  } catch (const InputError& e) {
    yaml::fail(src, scene_node, "scene: expected a valid scene, found an error: " + std::string(e.what()));
  }
  s.has_physics = base.nbody() > 0;

  // The design first: it decides what parameter entries must hold.
  YAML::Node design = top.optional("design");
  YAML::Node rows;
  if (design) {
    if (design.IsScalar()) {
      s.design = design.Scalar();
    } else if (design.IsMap()) {
      MapReader d(src, design, "design");
      s.design = d.choice("type", {"grid", "cases", "lhs", "sobol"});
      if (s.design == "lhs" || s.design == "sobol") {
        s.samples = int(d.in_range("samples", 1, double(limits::kVariants)));
        if (double(s.samples) != d.number("samples")) yaml::fail(src, d.required("samples"), "design.samples: expected an integer, found a fraction");
      }
      if (s.design == "sobol") s.scramble = d.boolean("scramble", true);
      if (s.design == "cases") rows = d.required("rows");
      d.finish();
    } else {
      yaml::fail(src, design, "design: expected grid, cases, lhs or sobol, found " + yaml::describe(design));
    }
    if (s.design != "grid" && s.design != "cases" && s.design != "lhs" && s.design != "sobol")
      yaml::fail(src, design, "design: expected grid, cases, lhs or sobol, found '" + s.design + "'");
    if ((s.design == "lhs" || s.design == "sobol") && s.samples == 0)
      yaml::fail(src, design, "design: expected {type: " + s.design + ", samples: N}, found no sample count");
    if (s.design == "cases" && !design.IsMap())
      yaml::fail(src, design, "design: expected {type: cases, rows: [[...], ...]}, found no rows");
  }

  // Seed and replications: defaults from the scene.
  double scene_duration;
  uint64_t scene_seed;
  process::scene_defaults(Source{s.scene_file}, s.scene_root, scene_duration, scene_seed);
  s.seed = s.scene_root["seed"] ? scene_seed : base.seed;
  if (top.has("seed")) {
    int64_t seed = top.integer("seed", 0);
    if (seed < 0) yaml::fail(src, top.required("seed"), "seed: expected an integer >= 0, found " + std::to_string(seed));
    s.seed = uint64_t(seed);
  }
  if (top.has("duration")) {
    double d = top.positive("duration");
    s.duration = number_text(d);
  }
  if (top.has("replications")) {
    s.replications = int(top.in_range("replications", 1, 100000));
    if (double(s.replications) != top.number("replications"))
      yaml::fail(src, top.required("replications"), "replications: expected an integer, found a fraction");
  } else if (s.has_process) {
    s.replications = process::compile_model(Source{s.scene_file}, s.scene_root["process"], scene_duration, scene_seed).replications;
  }

  // Parameters, in the order written.
  YAML::Node params = top.required("parameters");
  if (!params.IsMap() || params.size() == 0)
    yaml::fail(src, params, "parameters: expected a map of scene paths to values, found " + yaml::describe(params));
  std::set<std::string> names;
  for (auto it = params.begin(); it != params.end(); ++it) {
    Parameter p = read_parameter(s, src, it->first, it->second);
    // The path must exist in the base scene and hold a value of the same kind.
    YAML::Node copy = YAML::Clone(s.scene_root);
    std::string error;
    YAML::Node target = resolve(copy, p.path, error);
    if (!target.IsDefined()) fail_at(s, p.at, "parameter '" + p.path + "': expected a path into the scene, found " + error);
    if (!target.IsScalar())
      fail_at(s, p.at, "parameter '" + p.path + "': expected a path to a single value, found " + yaml::describe(target) +
                           " there (address one element, e.g. " + p.path + "[0])");
    const Kind want = kind_of(target.Scalar());
    auto check_kind = [&](const Value& v, Location l) {
      Kind k = v.numeric ? Kind::number : kind_of(v.text);
      if (k != want)
        fail_at(s, l, "parameter '" + p.path + "': expected " + kind_name(want) + " like the scene's '" + target.Scalar() +
                          "', found '" + v.text + "'");
    };
    for (const Value& v : p.values) check_kind(v, p.at);
    if (p.bounded && want != Kind::number)
      fail_at(s, p.at, "parameter '" + p.path + "': expected a numeric scene value for {min, max}, found '" + target.Scalar() + "'");
    if (!names.insert(p.name).second) fail_at(s, p.at, "parameters: expected unique names, found '" + p.name + "' twice");
    s.params.push_back(p);
  }
  generate_variants(s, src, design, rows);
  if (s.design == "cases") {
    // Rows are checked against the scene's value kinds too.
    for (int k = 0; k < int(s.params.size()); ++k) {
      YAML::Node copy = YAML::Clone(s.scene_root);
      std::string error;
      const std::string want = kind_name(kind_of(resolve(copy, s.params[k].path, error).Scalar()));
      for (int v = 0; v < s.nvariant(); ++v) {
        const Value& x = s.variants[v][k];
        Kind kk = x.numeric ? Kind::number : kind_of(x.text);
        if (kind_name(kk) != want)
          fail_at(s, at(rows[v][k]), "design.rows[" + std::to_string(v) + "]: expected " + want + " for '" + s.params[k].path +
                                           "', found '" + x.text + "'");
      }
    }
  }

  // Outputs, objective, constraints.
  YAML::Node outs = top.required("outputs");
  if (!outs.IsSequence() || outs.size() == 0)
    yaml::fail(src, outs, "outputs: expected a list of KPI names or figures, found " + yaml::describe(outs));
  for (const auto& n : outs) s.outputs.push_back(read_output(s, src, n));
  std::vector<std::string> kpi_names;
  if (s.needs_process()) {
    if (!s.has_process) {
      for (const Output& o : s.outputs)
        if (o.figure == Figure::process_kpi)
          fail_at(s, o.at, "outputs: '" + o.kpi + "' is a process KPI, but the scene has no process: section (physics figures: "
                           "bodies_inside, max_overlap, last_motion, wall_time)");
    }
    // The KPI names come from a replication of the base model cut to one tick
    // past the warm-up: the names and their order do not depend on the run.
    process::Model m = process::compile_model(Source{s.scene_file}, s.scene_root["process"], scene_duration, scene_seed);
    m.duration = m.warmup + 1;
    process::Experiment e;
    try {
      e = process::run_experiment(m, 0, 1, 1);
    } catch (const RuntimeError& err) {
      // A physical line's process needs its physics: a process-only run
      // cannot list its KPIs.
      for (const Output& o : s.outputs)
        if (o.figure == Figure::process_kpi)
          fail_at(s, o.at, "outputs: '" + o.kpi + "' is a process KPI, which a sweep of this scene cannot give (" + err.what() + ")");
      throw;
    }
    for (const auto& k : e.kpis) kpi_names.push_back(k.name);
    for (Output& o : s.outputs) {
      if (o.figure != Figure::process_kpi) continue;
      bool found = false;
      for (const auto& k : e.kpis)
        if (k.name == o.kpi) o.unit = k.unit, found = true;
      if (!found) {
        std::string known;
        for (const auto& k : kpi_names) known += (known.empty() ? "" : ", ") + k;
        fail_at(s, o.at, "outputs: expected a KPI of the scene, found '" + o.kpi + "'; the scene's KPIs: " + known);
      }
    }
  }
  if (s.needs_physics()) {
    if (!s.has_physics)
      for (const Output& o : s.outputs)
        if (o.figure != Figure::process_kpi) fail_at(s, o.at, "outputs: '" + o.name + "' is a physics figure, but the scene has no bodies");
    if (s.replications > 1 && !s.has_process)
      yaml::fail(src, top.required("replications"), "replications: expected 1 for a physics scene (its runs are deterministic), found " +
                                                        std::to_string(s.replications));
    for (const Output& o : s.outputs) {
      for (const std::string& pat : o.inside) {
        bool prefix = !pat.empty() && pat.back() == '*';
        std::string stem = prefix ? pat.substr(0, pat.size() - 1) : pat;
        bool any = false;
        for (int b = 0; b < base.nbody(); ++b)
          if (base.body_kind[b] == BodyKind::Static &&
              (prefix ? base.body_name[b].compare(0, stem.size(), stem) == 0 : base.body_name[b] == stem))
            any = true;
        if (!any) fail_at(s, o.at, o.name + ".inside: expected a static body of the scene, found '" + pat + "' matching none");
      }
    }
  }
  if (YAML::Node obj = top.optional("objective")) {
    if (!obj.IsMap() || obj.size() != 1)
      yaml::fail(src, obj, "objective: expected {maximise: OUTPUT} or {minimise: OUTPUT}, found " + yaml::describe(obj));
    std::string dir = obj.begin()->first.Scalar();
    if (dir == "maximise" || dir == "maximize") s.maximise = true;
    else if (dir == "minimise" || dir == "minimize") s.maximise = false;
    else yaml::fail(src, obj.begin()->first, "objective: expected maximise or minimise, found '" + dir + "'");
    s.objective = yaml::as_string(src, obj.begin()->second, "objective." + dir);
    if (s.output_index(s.objective) < 0) yaml::fail(src, obj.begin()->second, "objective: expected one of the outputs, found '" + s.objective + "'");
  }
  if (YAML::Node cons = top.optional("constraints")) {
    if (!cons.IsMap()) yaml::fail(src, cons, "constraints: expected a map of OUTPUT: {min, max}, found " + yaml::describe(cons));
    for (auto it = cons.begin(); it != cons.end(); ++it) {
      Constraint c;
      c.output = yaml::as_string(src, it->first, "constraints");
      c.at = at(it->first);
      if (s.output_index(c.output) < 0) yaml::fail(src, it->first, "constraints: expected one of the outputs, found '" + c.output + "'");
      MapReader r(src, it->second, "constraints." + c.output);
      if (!r.has("min") && !r.has("max")) yaml::fail(src, it->second, "constraints." + c.output + ": expected min, max or both, found neither");
      if (r.has("min")) c.min = r.number("min");
      if (r.has("max")) c.max = r.number("max");
      r.finish();
      s.constraints.push_back(c);
    }
  }
  top.finish();

  // Every variant's scene must compile: a bad one is reported at the
  // parameters that make it, with the scene's own message.
  if (options.check_variants) {
    for (int v = 0; v < s.nvariant(); ++v) {
      try {
        std::string text = variant_text(s, v);
        compile_scene(text, s.scene_file);
        if (s.has_process) {
          Source vs{s.scene_file};
          process::validate(vs, yaml::load_string(vs, text));
        }
      } catch (const InputError& e) {
        std::string values;
        for (size_t k = 0; k < s.params.size(); ++k)
          values += (k ? ", " : "") + s.params[k].name + " = " + s.variants[v][k].text;
        Location l = s.params.empty() ? Location{} : s.params[0].at;
        // Point at the first parameter whose value differs from the scene's.
        for (size_t k = 0; k < s.params.size(); ++k) {
          YAML::Node copy = YAML::Clone(s.scene_root);
          std::string error;
          if (resolve(copy, s.params[k].path, error).Scalar() != s.variants[v][k].text) {
            l = s.params[k].at;
            break;
          }
        }
        fail_at(s, l, "variant " + std::to_string(v) + " (" + values + "): expected a valid scene, found: " + e.message());
      }
    }
  }
  return s;
}

YAML::Node variant_document(const Spec& s, int v) {
  YAML::Node doc = YAML::Clone(s.scene_root);
  if (!s.duration.empty()) {  // as `werk run --duration` overrides it
    doc["duration"] = s.duration;
    if (doc["process"].IsMap() && doc["process"]["duration"]) doc["process"]["duration"] = s.duration;
  }
  for (size_t k = 0; k < s.params.size(); ++k) {
    std::string error;
    YAML::Node target = resolve(doc, s.params[k].path, error);
    if (!target.IsDefined()) fail_at(s, s.params[k].at, "parameter '" + s.params[k].path + "': " + error);
    target = s.variants[v][k].text;
  }
  return doc;
}

std::string variant_text(const Spec& s, int v) {
  YAML::Emitter e;
  e.SetDoublePrecision(17);
  e << variant_document(s, v);
  return std::string(e.c_str()) + "\n";
}

}  // namespace werk::sweep
