// Common random numbers: an object's random streams depend on its name and
// purpose only, so variants of a scene differ only where they were changed.
// And the observables (state series, lengths, event log) of the bundled
// line against the KPIs computed from them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "../engine/src/process/experiment.h"

using namespace werk::process;

namespace {

Model model_from(const std::string& text) {
  static std::vector<std::unique_ptr<werk::yaml::Source>> sources;
  sources.push_back(std::make_unique<werk::yaml::Source>(werk::yaml::Source{"crn.yaml"}));
  return compile_model(*sources.back(), werk::yaml::load_string(*sources.back(), text)["process"], -1, 0);
}

const char* kLine =
    "    arrivals: {type: source, interarrival: {dist: exponential, mean: 1.25}, to: queue}\n"
    "    queue: {type: buffer, capacity: 6, to: server}\n"
    "    server: {type: station, process_time: {dist: lognormal, mean: 1, sd: 0.7}, scrap: 0.05, to: done,\n"
    "             failures: [{mtbf: {dist: exponential, mean: 500}, mttr: {dist: exponential, mean: 20}}]}\n"
    "    done: {type: sink}\n";

std::string other_line(double mtbf) {
  return "    other_src: {type: source, interarrival: {dist: exponential, mean: 3}, to: other_station}\n"
         "    other_station: {type: station, process_time: {dist: exponential, mean: 2}, to: other_router,\n"
         "                    failures: [{mtbf: {dist: exponential, mean: " + std::to_string(mtbf) + "}, mttr: 30}]}\n"
         "    other_router: {type: router, rule: probability, to: {other_sink: 0.5, other_sink2: 0.5}}\n"
         "    other_sink: {type: sink}\n    other_sink2: {type: sink}\n";
}

std::string scene(const std::string& objects) {
  return "process:\n  duration: 20000\n  warmup: 500\n  event_log: false\n  objects:\n" + objects;
}

// The KPIs of the objects of kLine, per replication.
std::map<std::string, std::vector<double>> line_kpis(const Experiment& e) {
  std::map<std::string, std::vector<double>> out;
  for (auto& k : e.kpis)
    for (const char* prefix : {"arrivals.", "queue.", "server."})
      if (k.name.rfind(prefix, 0) == 0) out[k.name] = k.values;
  return out;
}

}  // namespace

TEST_CASE("process common random numbers: inserting, reordering or changing other objects leaves a line's KPIs bit-identical",
          "[process][crn]") {
  auto base = line_kpis(run_experiment(model_from(scene(kLine)), 5, 3, 1));
  REQUIRE(base.size() > 20);
  // Another line inserted before it, after it, the whole list reordered,
  // and that other line's failures made five times as frequent.
  const std::string reordered = "    done: {type: sink}\n" + other_line(200) +
                                "    server: {type: station, process_time: {dist: lognormal, mean: 1, sd: 0.7}, scrap: 0.05, to: done,\n"
                                "             failures: [{mtbf: {dist: exponential, mean: 500}, mttr: {dist: exponential, mean: 20}}]}\n"
                                "    queue: {type: buffer, capacity: 6, to: server}\n"
                                "    arrivals: {type: source, interarrival: {dist: exponential, mean: 1.25}, to: queue}\n";
  for (const std::string& objects : {other_line(200) + kLine, kLine + other_line(200), reordered, other_line(40) + kLine}) {
    auto variant = line_kpis(run_experiment(model_from(scene(objects)), 5, 3, 1));
    REQUIRE(variant.size() == base.size());
    for (auto& [name, values] : base) {
      INFO(name);
      CHECK(variant[name] == values);  // exact: the same draws in the same order
    }
  }
  // The comparison is not vacuous: another seed changes them.
  auto other_seed = line_kpis(run_experiment(model_from(scene(kLine)), 6, 3, 1));
  CHECK(other_seed["server.utilization"] != base["server.utilization"]);
}

TEST_CASE("process common random numbers: a station's process times do not depend on another station's failures",
          "[process][crn]") {
  // A tandem line without buffer: how often the second station fails
  // changes when the first is blocked, but the first station's n-th part
  // still takes the n-th draw of its process stream.
  struct Durations : Trace {
    int node = -1;
    std::map<uint64_t, Tick> started;
    std::vector<Tick> durations;
    void state(int, Tick, State) override {}
    void length(int, Tick, int64_t) override {}
    void event(Tick t, int n, LogEvent e, uint64_t part) override {
      if (n != node) return;
      if (e == LogEvent::start_work) started[part] = t;
      if (e == LogEvent::finish) durations.push_back(t - started[part]);
    }
  };
  auto first_durations = [](double mtbf) {
    Model m = model_from(
        "process:\n  duration: 50000\n  event_log: false\n  objects:\n"
        "    src: {type: source, interarrival: 0, to: first}\n"
        "    first: {type: station, process_time: {dist: gamma, shape: 4, mean: 10}, to: second}\n"
        "    second: {type: station, process_time: {dist: exponential, mean: 9}, to: out,\n"
        "             failures: [{mtbf: {dist: exponential, mean: " + std::to_string(mtbf) + "}, mttr: 60}]}\n"
        "    out: {type: sink}\n");
    Durations d;
    d.node = m.find_node("first");
    run_experiment(m, 8, 1, 1, &d);
    return d.durations;
  };
  std::vector<Tick> rare = first_durations(5000), often = first_durations(300);
  const size_t n = std::min(rare.size(), often.size());
  REQUIRE(n > 1000);
  REQUIRE(rare.size() != often.size());  // the failures did change the line
  CHECK(std::equal(rare.begin(), rare.begin() + long(n), often.begin()));
}
