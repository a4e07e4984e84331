// Process scenes: the bundled line and its observables, determinism, errors.
#include <catch2/catch.hpp>

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <tuple>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../engine/src/process/experiment.h"
#include "werk/error.h"
#include "werk/process.h"

using namespace werk::process;

namespace {

// The repository root, from this file's own path.
std::string repo_file(const std::string& rel) {
  std::string here = __FILE__;
  return here.substr(0, here.rfind("/tests/")) + "/" + rel;
}
const std::string kBundled = repo_file("scenes/engine_block_line.yaml");

Model load_model(const std::string& file, double duration = -1) {
  static std::vector<std::unique_ptr<werk::yaml::Source>> sources;
  sources.push_back(std::make_unique<werk::yaml::Source>(werk::yaml::Source{file}));
  YAML::Node root = werk::yaml::load_file(*sources.back());
  double d = duration > 0 ? duration : werk::yaml::as_number(*sources.back(), root["duration"], "duration");
  return compile_model(*sources.back(), root["process"], d, 0);
}

Model model_from(const std::string& text) {
  static werk::yaml::Source src{"scene.yaml"};
  return compile_model(src, werk::yaml::load_string(src, text)["process"], -1, 0);
}

// The InputError message for a broken scene ("" when it compiles).
std::string error_of(const std::string& text) {
  try {
    model_from(text);
  } catch (const werk::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

namespace {

// Everything replication 0 reports, kept whole.
struct Recorded : Trace {
  std::map<int, std::vector<std::pair<Tick, int64_t>>> states, lengths;
  std::vector<std::tuple<Tick, int, LogEvent>> events;
  void state(int node, Tick t, State s) override { states[node].push_back({t, int64_t(s)}); }
  void length(int node, Tick t, int64_t n) override { lengths[node].push_back({t, n}); }
  void event(Tick t, int node, LogEvent e, uint64_t) override { events.push_back({t, node, e}); }
};

// Seconds a piecewise-constant series spends at `value` in [from, to].
double time_at(const std::vector<std::pair<Tick, int64_t>>& series, int64_t value, Tick from, Tick to) {
  Tick sum = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    Tick a = std::max(series[i].first, from), b = std::min(i + 1 < series.size() ? series[i + 1].first : to, to);
    if (b > a && series[i].second == value) sum += b - a;
  }
  return to_seconds(sum);
}

// Time average and maximum of a piecewise-constant series over [from, to].
std::pair<double, int64_t> average_and_max(const std::vector<std::pair<Tick, int64_t>>& series, Tick from, Tick to) {
  double area = 0;
  int64_t peak = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    Tick a = std::max(series[i].first, from), b = std::min(i + 1 < series.size() ? series[i + 1].first : to, to);
    if (b > a) area += double(series[i].second) * to_seconds(b - a);
    if (b >= a && (b > a || series[i].first >= from)) peak = std::max(peak, series[i].second);
  }
  return {area / to_seconds(to - from), peak};
}

}  // namespace

TEST_CASE("process bundled scene: the observables and the event log reproduce the KPIs", "[process][scene]") {
  // Three days (the first is warm-up): the station state series, buffer
  // lengths and event log written to HDF5, integrated and counted here
  // independently of the simulator's own statistics. Both sides sum the
  // same integer-nanosecond intervals, so they agree to rounding (1e-9).
  Model m = load_model(kBundled, 3 * 86400.0);
  Recorded rec;
  Experiment e = run_experiment(m, 2024, 1, 1, &rec);
  const Tick from = m.warmup, to = m.duration;
  const double window = to_seconds(to - from);
  auto count = [&](const std::string& node, LogEvent ev) {
    int idx = m.find_node(node);
    return double(std::count_if(rec.events.begin(), rec.events.end(), [&](auto& x) {
      return std::get<1>(x) == idx && std::get<2>(x) == ev && std::get<0>(x) >= from;
    }));
  };
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    const NodeSpec& n = m.nodes[i];
    INFO(n.name);
    // Stations with one server: the displayed state is the server's state.
    if (n.kind == NodeKind::station && m.stations[n.index].capacity == 1) {
      for (int s = 0; s < kStateCount; ++s)
        CHECK(time_at(rec.states[int(i)], s, from, to) / window ==
              Approx(e.kpi(n.name + "." + kStateNames[s]).mean).margin(1e-9));
      CHECK(count(n.name, LogEvent::enter) == e.kpi(n.name + ".parts_in").mean);
      CHECK(count(n.name, LogEvent::leave) + count(n.name, LogEvent::exit_system) == e.kpi(n.name + ".parts_out").mean);
    }
    if (n.kind == NodeKind::buffer || n.kind == NodeKind::conveyor) {
      auto [mean, peak] = average_and_max(rec.lengths[int(i)], from, to);
      CHECK(mean == Approx(e.kpi(n.name + ".mean_length").mean).margin(1e-9));
      CHECK(double(peak) == e.kpi(n.name + ".max_length").mean);
    }
  }
  // Every good part leaves through `finished`, every scrapped one through
  // `scrap_bin`, and each was declared scrap by op50 or op60.
  CHECK(count("finished", LogEvent::exit_system) == e.kpi("line.good_parts").mean);
  CHECK(count("scrap_bin", LogEvent::exit_system) == e.kpi("line.scrapped_parts").mean);
  CHECK(count("op50_leak_test", LogEvent::scrap) + count("op60_inspection", LogEvent::scrap) ==
        e.kpi("line.scrapped_parts").mean);
  CHECK(e.kpi("line.scrapped_parts").mean > 0);
  // The WIP bookkeeping identity (integral of WIP = time parts spent in
  // the window) holds to rounding.
  CHECK(e.kpi("line.little_identity_error").mean < 1e-9);
}

TEST_CASE("process bundled scene: the documented bottleneck", "[process][scene]") {
  // README and docs/process.md name the roughing mill as the bottleneck of
  // the bundled line, as run by `werk run` (its 14 days, 4 replications).
  Model m = load_model(kBundled, 14 * 86400.0);
  Experiment e = run_experiment(m, 2024, 4);
  REQUIRE(e.bottleneck >= 0);
  CHECK(m.nodes[size_t(e.bottleneck)].name == "op10_rough_mill");
  // Its active share is the largest by a margin wider than the intervals.
  for (const NodeSpec& n : m.nodes)
    if (n.kind == NodeKind::station && n.name != "op10_rough_mill")
      CHECK(e.kpi("op10_rough_mill.active").low() > e.kpi(n.name + ".active").high());
}

TEST_CASE("process bundled M/M/1 scene: the theory its comment quotes", "[process][scene]") {
  // scenes/process_mm1.yaml says: rho = 0.9, mean time in system
  // 1 / (mu - lambda) = 10 s, mean queue length rho^2 / (1 - rho) = 8.1,
  // run with 10 replications. 99% intervals over those replications.
  Model m = load_model(repo_file("scenes/process_mm1.yaml"));
  Experiment e = run_experiment(m, 1, 10);  // the scene's seed
  for (auto [name, truth] : {std::pair<const char*, double>{"line.lead_time_mean", 10.0}, {"queue.mean_length", 8.1}}) {
    double mean, hw;
    confidence_interval(e.kpi(name).values, 0.99, mean, hw);
    INFO(name << ": " << mean << " +- " << hw << ", theory " << truth);
    CHECK(std::abs(mean - truth) <= hw);
  }
}

TEST_CASE("process a zero-time cycle is reported, not run forever", "[process][scene]") {
  // docs/process.md: an interarrival of 0 straight into a sink never lets
  // time advance; the run stops with an error naming the object.
  Model m = model_from("process:\n  duration: 10\n  event_log: false\n  objects:\n"
                       "    src: {type: source, interarrival: 0, to: out}\n    out: {type: sink}\n");
  try {
    simulate(m, 1, 0);
    FAIL("no error");
  } catch (const werk::RuntimeError& e) {
    CHECK(std::string(e.what()).find("zero-time cycle through 'src'") != std::string::npos);
  }
}

TEST_CASE("process same seed gives bit-identical results for any thread count", "[process][scene]") {
  Model m = load_model(kBundled, 3 * 86400.0);
  Experiment a = run_experiment(m, 99, 4, 1), b = run_experiment(m, 99, 4, 2), c = run_experiment(m, 100, 4, 2);
  REQUIRE(a.kpis.size() == b.kpis.size());
  bool any_differs = false;
  for (size_t k = 0; k < a.kpis.size(); ++k) {
    for (size_t r = 0; r < 4; ++r) {
      REQUIRE(a.kpis[k].values[r] == b.kpis[k].values[r]);
      any_differs |= a.kpis[k].values[r] != c.kpis[k].values[r];
    }
  }
  REQUIRE(any_differs);
  // Different replications of one seed differ.
  auto& lt = a.kpi("line.lead_time_mean").values;
  REQUIRE(lt[0] != lt[1]);
}

TEST_CASE("process replications are independent", "[process][scene]") {
  // Lag-one correlation of 60 replications' mean waits of an M/M/1 queue:
  // independent replications give r ~ N(0, 1/n).
  Model m = model_from(
      "process:\n  duration: 2000\n  event_log: false\n  objects:\n"
      "    src: {type: source, interarrival: {dist: exponential, mean: 1.25}, to: q}\n"
      "    q: {type: buffer, to: s}\n    s: {type: station, process_time: {dist: exponential, mean: 1}, to: out}\n"
      "    out: {type: sink}\n");
  Experiment e = run_experiment(m, 5, 60);
  auto x = e.kpi("q.mean_wait").values;
  double mean = 0;
  for (double v : x) mean += v;
  mean /= double(x.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    den += (x[i] - mean) * (x[i] - mean);
    if (i + 1 < x.size()) num += (x[i] - mean) * (x[i + 1] - mean);
  }
  REQUIRE(std::abs(num / den) < 2.576 / std::sqrt(double(x.size())));
}

TEST_CASE("process run_scene prints a KPI table naming the bottleneck", "[process][scene]") {
  werk::yaml::Source src{kBundled};
  YAML::Node root = werk::yaml::load_file(src);
  REQUIRE(has_process(root));
  RunOptions o;
  o.duration = 2 * 86400.0;
  o.replications = 2;
  std::ostringstream out;
  Outcome r = run_scene(src, root, o, -1, out);
  REQUIRE_FALSE(r.interrupted);
  REQUIRE(out.str().find("bottleneck") != std::string::npos);
  REQUIRE(out.str().find(r.bottleneck) != std::string::npos);
}

TEST_CASE("process scene errors name the line and column", "[process][scene]") {
  const std::string head = "werk: 1\nprocess:\n  duration: 100\n  objects:\n";
  std::string e = error_of(head + "    src: {type: source, interarival: 5, to: out}\n    out: {type: sink}\n");
  REQUIRE(e.find("scene.yaml:5:") != std::string::npos);
  REQUIRE(e.find("interarrival") != std::string::npos);
  e = error_of(head + "    src: {type: source, interarrival: 5, to: nowhere}\n    out: {type: sink}\n");
  REQUIRE(e.find("scene.yaml:5:") != std::string::npos);
  REQUIRE(e.find("unknown object 'nowhere'") != std::string::npos);
  e = error_of(head + "    src: {type: source, interarrival: {dist: weibul, mean: 3}, to: out}\n    out: {type: sink}\n");
  REQUIRE(e.find("expected one of") != std::string::npos);
  e = error_of(head + "    src: {type: source, interarrival: -1, to: out}\n    out: {type: sink}\n");
  REQUIRE(e.find("expected a time >= 0") != std::string::npos);
  e = error_of(head + "    src: {type: source, interarrival: 1, to: st}\n"
                      "    st: {type: station, process_time: 1, scrap: 1.5, to: out}\n    out: {type: sink}\n");
  REQUIRE(e.find("scene.yaml:6:") != std::string::npos);
  REQUIRE(e.find("scrap") != std::string::npos);
  // Failure modes key their random streams by name: names must differ.
  e = error_of(head + "    src: {type: source, interarrival: 1, to: st}\n"
                      "    st: {type: station, process_time: 1, to: out,\n"
                      "         failures: [{name: a, mtbf: 10, mttr: 1}, {name: a, mtbf: 20, mttr: 1}]}\n    out: {type: sink}\n");
  REQUIRE(e.find("scene.yaml:7:") != std::string::npos);
  REQUIRE(e.find("a second failure mode named 'a'") != std::string::npos);
}

TEST_CASE("process objects: router, assembly, split, conveyor, shifts conserve parts", "[process][scene]") {
  Model m = model_from(
      "process:\n  duration: 86400\n  event_log: false\n"
      "  part_types: {housing: {}, screw: {}, unit: {}}\n"
      "  workers: {crew: {count: 1}}\n"
      "  calendars: {day: {shifts: [['06:00', '22:00']], breaks: [['12:00', '12:30']]}}\n"
      "  objects:\n"
      "    housings: {type: source, interarrival: 60, part_type: housing, to: asm}\n"
      "    screws: {type: source, interarrival: 15, part_type: screw, to: asm}\n"
      "    asm: {type: assembly, parts: {housing: 1, screw: 4}, process_time: 30, produces: unit, to: belt}\n"
      "    belt: {type: conveyor, length: 5, speed: 0.5, spacing: 1, accumulating: false, to: splitter}\n"
      "    splitter: {type: split, count: 2, to: rr}\n"
      "    rr: {type: router, rule: round_robin, to: [a, b]}\n"
      "    a: {type: station, process_time: 50, calendar: day, setup_time: 5, setup_worker: crew, to: out}\n"
      "    b: {type: station, process_time: {dist: exponential, mean: 50}, to: out,\n"
      "        failures: [{basis: count, operations: 50, mttr: 100, worker: crew}]}\n"
      "    out: {type: sink}\n");
  Experiment e = run_experiment(m, 1, 1);
  const Results& r = e.runs[0];
  double units = e.kpi("asm.parts_out").mean;
  REQUIRE(units > 500);
  // Every assembled unit splits in two; all reach the sink or are still inside.
  REQUIRE(e.kpi("line.good_parts").mean <= 2 * units);
  REQUIRE(e.kpi("line.good_parts").mean >= 2 * units - 30);
  REQUIRE(e.kpi("a.off_shift").mean == Approx((8 * 3600.0 + 1800.0) / 86400.0).margin(1e-6));
  REQUIRE(e.kpi("b.failed").mean > 0);
  REQUIRE(std::abs(e.kpi("a.parts_in").mean - e.kpi("b.parts_in").mean) <= 1);  // round robin
  REQUIRE(r.wip_integral_check < 1e-9);
}

TEST_CASE("process run_scene writes observables, the event log and KPIs to HDF5 and JSON", "[process][scene]") {
  werk::yaml::Source src{kBundled};
  YAML::Node root = werk::yaml::load_file(src);
  std::string h5 = "/tmp/werk_process_test_" + std::to_string(::getpid()) + ".h5";
  std::string js = h5 + ".json";
  RunOptions o;
  o.duration = 3 * 86400.0;
  o.replications = 3;
  o.kpis_json = js;
  hid_t f = H5Fcreate(h5.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  REQUIRE(f >= 0);
  std::ostringstream out;
  run_scene(src, root, o, f, out);
  // Station states: an H5MD series with increasing times and valid states.
  auto read = [&](const std::string& path) {
    hid_t ds = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
    REQUIRE(ds >= 0);
    hid_t space = H5Dget_space(ds);
    hsize_t dims[2] = {0, 0};
    int rank = H5Sget_simple_extent_dims(space, dims, nullptr);
    std::vector<double> v(dims[0] * (rank == 2 ? dims[1] : 1));
    H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Sclose(space);
    H5Dclose(ds);
    return v;
  };
  std::vector<double> t = read("/observables/op10_rough_mill/state/time");
  std::vector<double> s = read("/observables/op10_rough_mill/state/value");
  REQUIRE(t.size() > 100);
  REQUIRE(t.size() == s.size());
  REQUIRE(std::is_sorted(t.begin(), t.end()));
  for (double x : s) REQUIRE((x >= 0 && x < kStateCount));
  std::vector<double> len = read("/observables/b10/length/value");
  for (double x : len) REQUIRE((x >= 0 && x <= 8));
  std::vector<double> et = read("/process/events/time");
  REQUIRE(et.size() > 1000);
  REQUIRE(std::is_sorted(et.begin(), et.end()));
  REQUIRE(et.back() <= 3 * 86400.0);
  std::vector<double> mean = read("/process/kpis/mean"), values = read("/process/kpis/values");
  REQUIRE(values.size() == 3 * mean.size());
  H5Fclose(f);
  std::remove(h5.c_str());
  // JSON: every KPI with a 95% interval around its mean.
  std::ifstream in(js);
  nlohmann::json j = nlohmann::json::parse(in);
  REQUIRE(j["replications"] == 3);
  REQUIRE(j["kpis"].size() == mean.size());
  auto& thr = j["kpis"]["line.throughput"];
  REQUIRE(thr["values"].size() == 3);
  // The interval from the three values in the file: mean -+ t(0.975, 2)
  // s / sqrt(3), t = 4.30265 from the tables.
  double v[3] = {thr["values"][0], thr["values"][1], thr["values"][2]};
  double mu = (v[0] + v[1] + v[2]) / 3, ss = 0;
  for (double x : v) ss += (x - mu) * (x - mu);
  double hw = 4.30265 * std::sqrt(ss / 2 / 3);
  REQUIRE(hw > 0);
  CHECK(double(thr["mean"]) == Approx(mu).epsilon(1e-12));
  CHECK(double(thr["ci95"][0]) == Approx(mu - hw).epsilon(1e-5));
  CHECK(double(thr["ci95"][1]) == Approx(mu + hw).epsilon(1e-5));
  std::remove(js.c_str());
}
