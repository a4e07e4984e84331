// Process features, one test each, against values worked out by hand for
// deterministic cases (exact up to the 1 ns tick, so compared exactly or
// to 1e-9) or against binomial and queueing results for random ones.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "../engine/src/process/experiment.h"

using namespace werk::process;

namespace {

Model model_from(const std::string& text) {
  static werk::yaml::Source src{"features.yaml"};
  return compile_model(src, werk::yaml::load_string(src, text)["process"], -1, 0);
}

// One replication of a scene's process section (seed 1).
Experiment run(const std::string& text, int replications = 1) { return run_experiment(model_from(text), 1, replications, 1); }

double kpi(const Experiment& e, const std::string& name) { return e.kpi(name).mean; }

// Records the order in which parts start work at each station.
struct StartOrder : Trace {
  std::vector<std::pair<int, uint64_t>> starts;  // (node, part id)
  void state(int, Tick, State) override {}
  void length(int, Tick, int64_t) override {}
  void event(Tick, int node, LogEvent e, uint64_t part) override {
    if (e == LogEvent::start_work) starts.push_back({node, part});
  }
};

// Half-width of a 99.9% normal interval for a binomial proportion p of n
// trials: with a dozen such checks a false alarm stays below 1 in 80.
double binomial_hw(double p, double n) { return 3.29 * std::sqrt(p * (1 - p) / n); }

}  // namespace

TEST_CASE("process assembly consumes its parts: counts per unit", "[process][features]") {
  // A housing every 10 s, screws always waiting (interarrival 0, the
  // source blocks); each unit takes 1 housing and 4 screws for 1 s. In
  // 1000 s: 100 housings, 100 units; the screw bin holds one set, so the
  // screw source has delivered 4 per unit plus the 4 waiting at the end.
  Experiment e = run(
      "process:\n  duration: 1000\n  event_log: false\n  part_types: {housing: {}, screw: {}}\n  objects:\n"
      "    housings: {type: source, interarrival: 10, part_type: housing, to: asm}\n"
      "    screws: {type: source, interarrival: 0, part_type: screw, to: asm}\n"
      "    asm: {type: assembly, parts: {housing: 1, screw: 4}, process_time: 1, to: out}\n"
      "    out: {type: sink}\n");
  CHECK(kpi(e, "asm.parts_out") == 100);
  CHECK(kpi(e, "line.good_parts") == 100);
  CHECK(kpi(e, "screws.generated") == 4 * 100 + 4);
  CHECK(kpi(e, "asm.parts_in") == 100 + 404);
  CHECK(kpi(e, "asm.working") == Approx(100.0 / 1000).margin(1e-12));
}

TEST_CASE("process worker pool of one serialises maintenance with its worker utilisation and energy", "[process][features]") {
  // Two stations with maintenance every 100 s from t = 0, 10 s each, by the
  // same crew. One worker: A is maintained in [0, 10], B waits and is
  // maintained in [10, 20] (waiting for the worker counts as maintenance),
  // so A spends 10%, B 20% in maintenance and the worker is busy 20% of the
  // time. Two workers: both 10%, each worker busy 10%.
  auto scene = [](int workers) {
    return "process:\n  duration: 1000\n  event_log: false\n  workers: {crew: {count: " + std::to_string(workers) +
           "}}\n  objects:\n"
           "    src: {type: source, interarrival: 1, start: 5000, to: out}\n"  // no part before the end
           "    a: {type: station, process_time: 1, to: out, power_kw: {idle: 1, maintenance: 4},\n"
           "        maintenance: {interval: 100, first: 0, duration: 10, worker: crew}}\n"
           "    b: {type: station, process_time: 1, to: out,\n"
           "        maintenance: {interval: 100, first: 0, duration: 10, worker: crew}}\n"
           "    out: {type: sink}\n";
  };
  Experiment one = run(scene(1));
  CHECK(kpi(one, "a.maintenance") == Approx(0.1).margin(1e-12));
  CHECK(kpi(one, "b.maintenance") == Approx(0.2).margin(1e-12));
  CHECK(kpi(one, "workers.crew.utilization") == Approx(0.2).margin(1e-12));
  // Energy: 900 s idle at 1 kW and 100 s maintained at 4 kW.
  CHECK(kpi(one, "a.energy") == Approx((900 * 1.0 + 100 * 4.0) / 3600).epsilon(1e-12));
  Experiment two = run(scene(2));
  CHECK(kpi(two, "b.maintenance") == Approx(0.1).margin(1e-12));
  CHECK(kpi(two, "workers.crew.utilization") == Approx(0.1).margin(1e-12));
}

TEST_CASE("process setups on a change of part type, from an arrival table", "[process][features]") {
  // Arrivals at 0, 100, 200, 300 s of types a, a, b, a (the second row
  // counts 2: parts at 100 s). Setup 5 s whenever the type differs from the
  // last one (and before the first), process 10 s. Hand schedule: part 1:
  // setup + work 15 s; parts 2, 3 (type a, no setup) 10 s, the second
  // waits 10 s; part 4 (b) 15 s; part 5 (a) 15 s. Lead times 15, 10, 20,
  // 15, 15: mean 15; setup time 3 x 5 s, work 5 x 10 s.
  StartOrder order;
  Model m = model_from(
      "process:\n  duration: 400\n  event_log: false\n  part_types: {a: {}, b: {}}\n"
      "  workers: {setter: {count: 1}}\n  objects:\n"
      "    src: {type: source, arrivals: [{time: 0, type: a}, {time: 100, type: a, count: 2}, {time: 200, type: b},"
      " {time: 300, type: a}], to: q}\n"
      "    q: {type: buffer, to: m}\n"
      "    m: {type: station, process_time: 10, setup_time: 5, setup_worker: setter, to: out}\n"
      "    out: {type: sink}\n");
  Experiment e = run_experiment(m, 1, 1, 1, &order);
  CHECK(kpi(e, "src.generated") == 5);
  CHECK(kpi(e, "line.good_parts") == 5);
  CHECK(kpi(e, "m.setup") == Approx(15.0 / 400).margin(1e-12));
  CHECK(kpi(e, "m.working") == Approx(50.0 / 400).margin(1e-12));
  CHECK(kpi(e, "line.lead_time_mean") == Approx(15.0).margin(1e-9));
  CHECK(kpi(e, "workers.setter.utilization") == Approx(15.0 / 400).margin(1e-12));
  CHECK(order.starts.size() == 5);
}

TEST_CASE("process scrap, quality and OEE", "[process][features]") {
  // A part every 20 s, 10 s each, 20% scrap: 10,000 parts in 2e5 s, so
  // availability = 0.5 (working / planned time), performance = 1 (actual =
  // ideal time), quality = good / produced ~ Binomial(10000, 0.8) / 10000.
  // Energy: 1e5 s working at 2 kW, 1e5 s idle at 0.5 kW.
  Experiment e = run(
      "process:\n  duration: 200000\n  event_log: false\n  objects:\n"
      "    src: {type: source, interarrival: 20, to: m}\n"
      "    m: {type: station, process_time: 10, scrap: 0.2, scrap_to: scrap_bin, to: out,\n"
      "        power_kw: {working: 2, idle: 0.5}}\n"
      "    out: {type: sink}\n    scrap_bin: {type: sink}\n");
  const double n = 10000;
  CHECK(kpi(e, "m.parts_out") == n);
  CHECK(kpi(e, "line.good_parts") + kpi(e, "line.scrapped_parts") == n);
  const double q = kpi(e, "m.quality");
  CHECK(q == Approx(kpi(e, "line.good_parts") / n).epsilon(1e-12));
  CHECK(std::abs(q - 0.8) <= binomial_hw(0.8, n));
  CHECK(kpi(e, "m.availability") == Approx(0.5).margin(1e-12));
  CHECK(kpi(e, "m.performance") == Approx(1.0).margin(1e-12));
  CHECK(kpi(e, "m.oee") == Approx(0.5 * q).epsilon(1e-12));
  CHECK(kpi(e, "m.energy") == Approx((1e5 * 2 + 1e5 * 0.5) / 3600).epsilon(1e-12));
  CHECK(kpi(e, "line.energy_per_good_part") == Approx(kpi(e, "m.energy") / kpi(e, "line.good_parts")).epsilon(1e-12));
}

TEST_CASE("process shortest_queue router sends parts to the least loaded target, first on ties", "[process][features]") {
  // A part every 2 s; a takes 10 s, b 1 s. At 0 both are empty: a (first).
  // At 2, 4, 6, 8 a is busy: b. At 10 a has just finished (its event was
  // scheduled first): tie, a. So a gets 1 part in 5: 100 of 500.
  Experiment e = run(
      "process:\n  duration: 1000\n  event_log: false\n  objects:\n"
      "    src: {type: source, interarrival: 2, to: r}\n"
      "    r: {type: router, rule: shortest_queue, to: [a, b]}\n"
      "    a: {type: station, process_time: 10, to: out}\n"
      "    b: {type: station, process_time: 1, to: out}\n"
      "    out: {type: sink}\n");
  CHECK(kpi(e, "a.parts_in") == 100);
  CHECK(kpi(e, "b.parts_in") == 400);
  CHECK(kpi(e, "src.generated") == 500);
}

TEST_CASE("process probability router and part-type router with a mix in batches", "[process][features]") {
  // 20,000 parts split 0.3 / 0.7 by probability: a's share is binomial.
  Experiment p = run(
      "process:\n  duration: 20000\n  event_log: false\n  objects:\n"
      "    src: {type: source, interarrival: 1, to: r}\n"
      "    r: {type: router, rule: probability, to: {a: 0.3, b: 0.7}}\n"
      "    a: {type: station, process_time: 0, to: out}\n"
      "    b: {type: station, process_time: 0, to: out}\n"
      "    out: {type: sink}\n");
  const double n = 20000;
  CHECK(kpi(p, "a.parts_in") + kpi(p, "b.parts_in") == n);
  CHECK(std::abs(kpi(p, "a.parts_in") / n - 0.3) <= binomial_hw(0.3, n));
  // Lots of 4 of one type from the mix {x: 1, y: 3}, limited to 40,000
  // parts (10,000 lots), sorted by type: every branch gets whole lots, and
  // the share of x lots is Binomial(10000, 0.25).
  Experiment t = run(
      "process:\n  duration: 20000\n  event_log: false\n  part_types: {x: {}, y: {}}\n  objects:\n"
      "    src: {type: source, interarrival: 1, batch: 4, limit: 40000, mix: {x: 1, y: 3}, to: r}\n"
      "    r: {type: router, rule: part_type, to: {x: sx, y: sy}}\n"
      "    sx: {type: station, process_time: 0, capacity: 4, to: out}\n"
      "    sy: {type: station, process_time: 0, capacity: 4, to: out}\n"
      "    out: {type: sink}\n");
  const double x = kpi(t, "sx.parts_in"), y = kpi(t, "sy.parts_in");
  CHECK(x + y == 40000);
  CHECK(std::fmod(x, 4.0) == 0);
  CHECK(std::fmod(y, 4.0) == 0);
  CHECK(std::abs(x / 40000 - 0.25) <= binomial_hw(0.25, 10000));
  // A limit that is not a multiple of the batch: lots of 3, at most 7 parts.
  Experiment l = run(
      "process:\n  duration: 1000\n  event_log: false\n  objects:\n"
      "    src: {type: source, interarrival: 10, batch: 3, limit: 7, to: out}\n"
      "    out: {type: sink}\n");
  CHECK(kpi(l, "src.generated") == 7);
  CHECK(kpi(l, "line.good_parts") == 7);
}

TEST_CASE("process buffer disciplines: FIFO, LIFO and priority order", "[process][features]") {
  // Parts 0..4 arrive at 0, 1, 2, 3, 4 s at a station busy for 10 s each
  // behind a buffer; part 0 starts at once, the others wait, and the buffer
  // hands them on in its order.
  auto starts = [](const std::string& discipline) {
    StartOrder order;
    Model m = model_from(
        "process:\n  duration: 100\n  event_log: false\n  part_types: {lo: {priority: 0}, hi: {priority: 5}}\n"
        "  objects:\n"
        "    src: {type: source, arrivals: [{time: 0, type: lo}, {time: 1, type: lo}, {time: 2, type: hi},"
        " {time: 3, type: lo}, {time: 4, type: hi}], to: q}\n"
        "    q: {type: buffer, discipline: " + discipline + ", to: m}\n"
        "    m: {type: station, process_time: 10, to: out}\n"
        "    out: {type: sink}\n");
    run_experiment(m, 1, 1, 1, &order);
    std::vector<uint64_t> ids;
    for (auto& s : order.starts) ids.push_back(s.second);
    return ids;
  };
  CHECK(starts("fifo") == std::vector<uint64_t>{0, 1, 2, 3, 4});
  CHECK(starts("lifo") == std::vector<uint64_t>{0, 4, 3, 2, 1});
  // Priority: the hi parts (2, 4) first, FIFO among equals.
  CHECK(starts("priority") == std::vector<uint64_t>{0, 2, 4, 1, 3});
}

TEST_CASE("process when_blocked: lose drops refused parts, block holds them", "[process][features]") {
  // A part every 1 s at a station busy 2.5 s with no buffer: parts at 0, 3,
  // 6, ... are taken, the two in between find it busy. 3000 arrivals: 1000
  // taken, 2000 lost.
  auto scene = [](const std::string& mode, int duration) {
    return "process:\n  duration: " + std::to_string(duration) + "\n  event_log: false\n  objects:\n"
           "    src: {type: source, interarrival: 1, when_blocked: " + mode + ", to: m}\n"
           "    m: {type: station, process_time: 2.5, to: out}\n"
           "    out: {type: sink}\n";
  };
  Experiment lose = run(scene("lose", 3000));
  CHECK(kpi(lose, "src.generated") == 3000);
  CHECK(kpi(lose, "src.lost") == 2000);
  CHECK(kpi(lose, "src.loss_probability") == Approx(2.0 / 3).epsilon(1e-12));
  CHECK(kpi(lose, "m.parts_out") == 1000);
  // Blocking: nothing is lost; the held part goes in the moment the
  // station frees, and the source's clock restarts then (the next part 1 s
  // later, while the station is busy again), so the station never idles:
  // parts finish at 2.5 k s, 1200 of them by 3001 s.
  Experiment block = run(scene("block", 3001));
  CHECK(kpi(block, "src.lost") == 0);
  CHECK(kpi(block, "m.parts_out") == 1200);
  CHECK(kpi(block, "m.utilization") == Approx(1.0).margin(1e-12));
}

TEST_CASE("process shift calendar: work stops off shift and resumes", "[process][features]") {
  // Shift 08:00-16:00 with a break 12:00-12:30: 7.5 h = 27,000 s of work a
  // day, always busy (parts always waiting), 100 s a part: 270 parts a day.
  // Over 2 days and 8 h 50 s (the run ends 50 s into day 3's shift), the
  // station has worked 54,050 s and finished 540 parts (day 3's 50 s finish
  // at most a part preempted at the end of day 2).
  const double duration = 2 * 86400 + 8 * 3600 + 50;
  Experiment e = run(
      "process:\n  duration: " + std::to_string(duration) + "\n  event_log: false\n"
      "  calendars: {day: {shifts: [['08:00', '16:00']], breaks: [['12:00', '12:30']]}}\n  objects:\n"
      "    src: {type: source, interarrival: 0, to: m}\n"
      "    m: {type: station, process_time: 100, calendar: day, to: out}\n"
      "    out: {type: sink}\n");
  CHECK(kpi(e, "m.parts_out") == 540);
  CHECK(kpi(e, "m.off_shift") == Approx((duration - 54050) / duration).margin(1e-12));
  CHECK(kpi(e, "m.utilization") == Approx(1.0).margin(1e-12));
}

TEST_CASE("process conveyors: accumulating belts close up, non-accumulating belts stop", "[process][features]") {
  // Parts at 0 s and 5 s onto a 10 m belt at 1 m/s (transit 10 s, spacing
  // 1 s); the station after it is in maintenance from 10 s to 18 s and
  // takes 1 s a part. Part 0 waits at the head until 18 and leaves at 19.
  // Accumulating: part 1 reaches the head at 15, closes up and follows one
  // spacing after part 0 at 19, out at 20 (lead times 19, 15). Not
  // accumulating: the belt stops at 10 with part 1 halfway; it restarts at
  // 18, part 1 arrives at 23, out at 24 (lead times 19, 19).
  auto scene = [](bool accumulating) {
    return std::string("process:\n  duration: 100\n  event_log: false\n  objects:\n"
                       "    src: {type: source, arrivals: [{time: 0}, {time: 5}], to: belt}\n"
                       "    belt: {type: conveyor, length: 10, speed: 1, spacing: 1, accumulating: ") +
           (accumulating ? "true" : "false") +
           ", to: m}\n"
           "    m: {type: station, process_time: 1, maintenance: {interval: 1000, first: 10, duration: 8}, to: out}\n"
           "    out: {type: sink}\n";
  };
  Experiment acc = run(scene(true)), stop = run(scene(false));
  CHECK(kpi(acc, "line.lead_time_mean") == Approx(17.0).margin(1e-9));
  CHECK(kpi(acc, "belt.mean_wait") == Approx(16.0).margin(1e-9));
  CHECK(kpi(stop, "line.lead_time_mean") == Approx(19.0).margin(1e-9));
  CHECK(kpi(stop, "belt.mean_wait") == Approx(18.0).margin(1e-9));
  // Capacity floor(length / spacing) = 10 and time-averaged content: part
  // 0 is on the belt 18 s, part 1 14 s (18 s) of the 100.
  CHECK(kpi(acc, "belt.mean_length") == Approx((18 + 14) / 100.0).margin(1e-12));
  CHECK(kpi(stop, "belt.mean_length") == Approx((18 + 18) / 100.0).margin(1e-12));
  // Parts always waiting and a station that takes the first and then
  // nothing for 1000 s: the belt fills to its capacity, floor(10.5 / 1) =
  // 10 parts, and the source is held back.
  Experiment full = run(
      "process:\n  duration: 100\n  event_log: false\n  objects:\n"
      "    src: {type: source, interarrival: 0, to: belt}\n"
      "    belt: {type: conveyor, length: 10.5, speed: 1, spacing: 1, to: m}\n"
      "    m: {type: station, process_time: 1000, to: out}\n"
      "    out: {type: sink}\n");
  CHECK(kpi(full, "belt.max_length") == 10);
  CHECK(kpi(full, "src.generated") == 11);  // the one in the station and ten on the belt
}

TEST_CASE("process bottleneck is the most active station of a tandem line", "[process][features]") {
  // Poisson arrivals (mean 10 s) through three exponential stations with
  // unlimited buffers (means 5, 9, 4 s): each station is a stable M/M/1
  // queue (Burke), active a share rho = lambda E[S] = 0.5, 0.9, 0.4 of the
  // time. The middle one is the bottleneck.
  Model m = model_from(
      "process:\n  duration: 200000\n  warmup: 5000\n  event_log: false\n  objects:\n"
      "    src: {type: source, interarrival: {dist: exponential, mean: 10}, to: q1}\n"
      "    q1: {type: buffer, to: s1}\n"
      "    s1: {type: station, process_time: {dist: exponential, mean: 5}, to: q2}\n"
      "    q2: {type: buffer, to: s2}\n"
      "    s2: {type: station, process_time: {dist: exponential, mean: 9}, to: q3}\n"
      "    q3: {type: buffer, to: s3}\n"
      "    s3: {type: station, process_time: {dist: exponential, mean: 4}, to: out}\n"
      "    out: {type: sink}\n");
  Experiment e = run_experiment(m, 3, 6, 1);
  REQUIRE(e.bottleneck >= 0);
  CHECK(m.nodes[size_t(e.bottleneck)].name == "s2");
  // Each utilisation against rho with a 99% interval over the replications.
  for (auto [name, rho] : {std::pair<const char*, double>{"s1", 0.5}, {"s2", 0.9}, {"s3", 0.4}}) {
    double mean, hw;
    confidence_interval(e.kpi(std::string(name) + ".active").values, 0.99, mean, hw);
    INFO(name << ".active " << mean << " +- " << hw << ", theory " << rho);
    CHECK(std::abs(mean - rho) <= hw);
  }
}
