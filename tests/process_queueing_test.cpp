// Process simulation against queueing theory: every check asserts that a
// confidence interval over independent replications contains the exact
// value from theory.
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "../engine/src/process/experiment.h"

using namespace werk::process;

namespace {


// Compiles the process: section of a YAML scene given as text.
inline Model model_from(const std::string& text) {
  static werk::yaml::Source src{"test.yaml"};
  YAML::Node root = werk::yaml::load_string(src, text);
  return compile_model(src, root["process"], -1, 0);
}

// The confidence level of every statistical assertion. 99%: with a dozen
// assertions a 95% level would make some test fail by chance for one seed
// in two; each check remains a genuine interval test that can fail.
constexpr double kLevel = 0.99;

// Asserts that the `level` confidence interval over the replications of
// KPI `name` contains `truth`.
inline void require_ci_contains(const Experiment& e, const std::string& name, double truth, double level = kLevel) {
  double mean, hw;
  confidence_interval(e.kpi(name).values, level, mean, hw);
  INFO(name << ": mean " << mean << " +- " << hw << " (" << level * 100 << "% CI), true value " << truth);
  REQUIRE(std::isfinite(hw));
  REQUIRE(std::abs(mean - truth) <= hw);
}


// Source -> unlimited FIFO queue -> c servers -> sink.
std::string single_queue(double interarrival_mean, const std::string& service, int servers, double duration,
                         double warmup) {
  return "werk: 1\nprocess:\n  duration: " + std::to_string(duration) + "\n  warmup: " + std::to_string(warmup) +
         "\n  event_log: false\n  objects:\n"
         "    arrivals: {type: source, interarrival: {dist: exponential, mean: " + std::to_string(interarrival_mean) +
         "}, to: queue}\n"
         "    queue: {type: buffer, to: server}\n"
         "    server: {type: station, capacity: " + std::to_string(servers) + ", process_time: " + service +
         ", to: out}\n"
         "    out: {type: sink}\n";
}

double erlang_c(int c, double a) {
  double term = 1, sum = 0;
  for (int k = 0; k < c; ++k) {
    sum += term;
    term *= a / (k + 1);
  }
  double top = term * c / (c - a);
  return top / (sum + top);
}

}  // namespace

TEST_CASE("process M/M/1 at rho 0.5: time in system and queue length", "[process][queueing]") {
  Model m = model_from(single_queue(2.0, "{dist: exponential, mean: 1}", 1, 2e5, 1e3));
  Experiment e = run_experiment(m, 11, 10);
  double lambda = 0.5, mu = 1.0, rho = lambda / mu;
  require_ci_contains(e, "line.lead_time_mean", 1.0 / (mu - lambda));
  require_ci_contains(e, "queue.mean_length", rho * rho / (1 - rho));
  require_ci_contains(e, "server.utilization", rho);
  // Little's law with the arrival rate the scene gives (not one the
  // engine measured): parts in the line L = lambda W = rho / (1 - rho).
  require_ci_contains(e, "line.wip", rho / (1 - rho));
  require_ci_contains(e, "line.departure_rate", lambda);
}

TEST_CASE("process M/M/1 at rho 0.9: time in system and queue length", "[process][queueing]") {
  Model m = model_from(single_queue(1.0 / 0.9, "{dist: exponential, mean: 1}", 1, 1e6, 2e4));
  Experiment e = run_experiment(m, 12, 10);
  double lambda = 0.9, mu = 1.0, rho = lambda / mu;
  require_ci_contains(e, "line.lead_time_mean", 1.0 / (mu - lambda));
  require_ci_contains(e, "queue.mean_length", rho * rho / (1 - rho));
}

TEST_CASE("process M/M/3 mean wait matches Erlang C", "[process][queueing]") {
  double lambda = 2.4, mu = 1.0;
  int c = 3;
  Model m = model_from(single_queue(1.0 / lambda, "{dist: exponential, mean: 1}", c, 2e5, 2e3));
  Experiment e = run_experiment(m, 13, 10);
  double wq = erlang_c(c, lambda / mu) / (c * mu - lambda);
  require_ci_contains(e, "queue.mean_wait", wq);
}

TEST_CASE("process M/D/1 mean wait", "[process][queueing]") {
  double lambda = 0.8, d = 1.0, rho = lambda * d;
  Model m = model_from(single_queue(1.0 / lambda, "1.0", 1, 2e5, 2e3));
  Experiment e = run_experiment(m, 14, 10);
  require_ci_contains(e, "queue.mean_wait", rho * d / (2 * (1 - rho)));
}

TEST_CASE("process M/G/1 mean wait matches Pollaczek-Khinchine", "[process][queueing]") {
  // Lognormal service, mean 1 s, sd 1 s: E[S^2] = 2. The waits are heavy
  // tailed, so replications are long enough for their means to be normal.
  double lambda = 0.7, es = 1.0, es2 = 2.0, rho = lambda * es;
  Model m = model_from(single_queue(1.0 / lambda, "{dist: lognormal, mean: 1, sd: 1}", 1, 1e6, 5e3));
  Experiment e = run_experiment(m, 15, 10);
  require_ci_contains(e, "queue.mean_wait", lambda * es2 / (2 * (1 - rho)));
}

TEST_CASE("process M/M/1/K blocking probability", "[process][queueing]") {
  // K = 5 in the system: 4 places in the queue and one in service; an
  // arrival that finds the system full is lost.
  double lambda = 1.0, mu = 1.25, rho = lambda / mu;
  int K = 5;
  std::string scene =
      "werk: 1\nprocess:\n  duration: 2e5\n  warmup: 1e3\n  event_log: false\n  objects:\n"
      "    arrivals: {type: source, interarrival: {dist: exponential, mean: 1}, when_blocked: lose, to: queue}\n"
      "    queue: {type: buffer, capacity: 4, to: server}\n"
      "    server: {type: station, process_time: {dist: exponential, mean: 0.8}, to: out}\n"
      "    out: {type: sink}\n";
  Experiment e = run_experiment(model_from(scene), 16, 10);
  double p_block = (1 - rho) * std::pow(rho, K) / (1 - std::pow(rho, K + 1));
  require_ci_contains(e, "arrivals.loss_probability", p_block);
}

TEST_CASE("process two stations in tandem with no buffer: throughput 2 mu / 3", "[process][queueing]") {
  // The first station is never starved (the source always has a part
  // waiting); a finished part blocks it until the second one is free.
  std::string scene =
      "werk: 1\nprocess:\n  duration: 2e5\n  warmup: 1e3\n  event_log: false\n  objects:\n"
      "    arrivals: {type: source, interarrival: 0, to: first}\n"
      "    first: {type: station, process_time: {dist: exponential, mean: 1}, to: second}\n"
      "    second: {type: station, process_time: {dist: exponential, mean: 1}, to: out}\n"
      "    out: {type: sink}\n";
  Experiment e = run_experiment(model_from(scene), 17, 10);
  double mu = 1.0;
  require_ci_contains(e, "line.throughput", 2 * mu / 3 * 3600.0);
  REQUIRE(e.kpi("first.blocked").mean > 0.1);
}

TEST_CASE("process Weibull failures: availability MTBF / (MTBF + MTTR)", "[process][queueing]") {
  std::string scene =
      "werk: 1\nprocess:\n  duration: 2e6\n  event_log: false\n  objects:\n"
      "    arrivals: {type: source, interarrival: 0, to: machine}\n"
      "    machine:\n      type: station\n      process_time: 10\n      to: out\n"
      "      failures:\n        - {name: spindle, mtbf: {dist: weibull, shape: 2.0, mean: 3600}, "
      "mttr: {dist: lognormal, mean: 600, sd: 400}}\n"
      "    out: {type: sink}\n";
  Experiment e = run_experiment(model_from(scene), 18, 10);
  require_ci_contains(e, "machine.failed", 1.0 - 3600.0 / (3600.0 + 600.0));
}

TEST_CASE("process operating-time and count-based failures scale with use", "[process][queueing]") {
  // Half-loaded station (a part every 20 s, 10 s each): failures in
  // working time come at rate 0.5 / MTBF per second of calendar time, so
  // the failed share is 0.5 * MTTR / MTBF; a failure every 50 operations
  // costs MTTR per 50 parts.
  auto scene = [](const std::string& failure) {
    return "werk: 1\nprocess:\n  duration: 1e6\n  warmup: 1e4\n  event_log: false\n  objects:\n"
           "    arrivals: {type: source, interarrival: 20, to: queue}\n"
           "    queue: {type: buffer, to: machine}\n"
           "    machine:\n      type: station\n      process_time: 10\n      to: out\n"
           "      failures: [" + failure + "]\n"
           "    out: {type: sink}\n";
  };
  Experiment op = run_experiment(
      model_from(scene("{basis: operating, mtbf: {dist: exponential, mean: 1000}, mttr: 100}")), 19, 10);
  require_ci_contains(op, "machine.failed", 0.5 * 100.0 / 1000.0);
  Experiment count = run_experiment(
      model_from(scene("{basis: count, operations: 50, mttr: {dist: exponential, mean: 100}}")), 20, 10);
  require_ci_contains(count, "machine.failed", (1.0 / 20 / 50) * 100.0);
}
