// The discrete-event core: event ordering, random streams, distributions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "../engine/src/process/distribution.h"
#include "../engine/src/process/event_queue.h"
#include "../engine/src/process/experiment.h"

using namespace werk::process;

TEST_CASE("process event queue pops in (tick, scheduling order) order", "[process][core]") {
  EventQueue q;
  Rng rng(1, 0, 0, 0);
  struct Ref {
    Tick tick;
    uint32_t id;
  };
  std::vector<Ref> ref;
  // Few distinct ticks so that ties are common.
  for (uint32_t i = 0; i < 20000; ++i) {
    Tick t = Tick(rng.next() % 64);
    q.push(t, i, 0);
    ref.push_back({t, i});
  }
  std::stable_sort(ref.begin(), ref.end(), [](const Ref& a, const Ref& b) { return a.tick < b.tick; });
  for (const Ref& r : ref) {
    Event e = q.pop();
    REQUIRE(e.tick == r.tick);
    REQUIRE(e.object == r.id);
  }
  REQUIRE(q.empty());
}

TEST_CASE("process event queue hold operation keeps the heap order", "[process][core]") {
  EventQueue q;
  Rng rng(2, 0, 0, 0);
  for (uint32_t i = 0; i < 1000; ++i) q.push(Tick(rng.next() % 1000000), i, 0);
  Tick last = -1;
  for (int i = 0; i < 100000; ++i) {
    Event e = q.top();
    REQUIRE(e.tick >= last);
    last = e.tick;
    q.replace_top(e.tick + Tick(rng.next() % 1000000), e.object, 0);
  }
  REQUIRE(q.size() == 1000);
}

TEST_CASE("process random streams: same key same numbers, other replication independent", "[process][core]") {
  Rng a(7, 0, 3, 1), b(7, 0, 3, 1), c(7, 1, 3, 1);
  for (int i = 0; i < 100; ++i) REQUIRE(a.next() == b.next());
  // Pearson correlation of paired uniforms from two replications: under
  // independence r is about normal with sd 1/sqrt(n).
  Rng x(7, 0, 3, 1), y(7, 1, 3, 1);
  const int n = 200000;
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (int i = 0; i < n; ++i) {
    double u = x.uniform(), v = y.uniform();
    sx += u, sy += v, sxx += u * u, syy += v * v, sxy += u * v;
  }
  double r = (sxy - sx * sy / n) / std::sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
  REQUIRE(std::abs(r) < 3.29 / std::sqrt(double(n)));  // 99.9% interval around 0
  REQUIRE(c.next() != Rng(7, 0, 3, 1).next());
}

namespace {

// Sample mean and variance against the exact moments, each through a
// 99.9% normal interval from the sample itself (the variance's standard
// error uses the sample fourth central moment).
void check_moments(const Distribution& d, const std::string& name, uint64_t seed) {
  Rng rng(seed, 0, 0, 0);
  const int n = 400000;
  std::vector<double> x(n);
  double mean = 0;
  for (double& v : x) mean += (v = d.sample(rng));
  mean /= n;
  double m2 = 0, m4 = 0;
  for (double v : x) {
    double dv = (v - mean) * (v - mean);
    m2 += dv, m4 += dv * dv;
  }
  m2 /= n, m4 /= n;
  const double z = 3.29;
  INFO(name << ": sample mean " << mean << " vs " << d.mean() << ", sample variance " << m2 << " vs " << d.variance());
  REQUIRE(std::abs(mean - d.mean()) <= z * std::sqrt(m2 / n) + 1e-12);
  REQUIRE(std::abs(m2 - d.variance()) <= z * std::sqrt(std::max(m4 - m2 * m2, 0.0) / n) + 1e-12);
  REQUIRE(std::all_of(x.begin(), x.end(), [](double v) { return std::isfinite(v); }));
}

}  // namespace

TEST_CASE("process distributions match their mean and variance", "[process][core]") {
  const double inf = std::numeric_limits<double>::infinity();
  check_moments(Distribution::constant(3.5), "constant", 1);
  check_moments(Distribution::uniform(2, 5), "uniform", 2);
  check_moments(Distribution::triangular(1, 2, 6), "triangular", 3);
  check_moments(Distribution::exponential(4), "exponential", 4);
  check_moments(Distribution::normal(10, 2, -inf, inf), "normal", 5);
  check_moments(Distribution::normal(10, 4, 7, 20), "truncated normal", 6);
  check_moments(Distribution::lognormal(5, 2), "lognormal", 7);
  check_moments(Distribution::gamma(2.5, 1.5), "gamma", 8);
  check_moments(Distribution::gamma(0.6, 2.0), "gamma shape < 1", 9);
  check_moments(Distribution::weibull(1.5, 3.0), "weibull", 10);
  check_moments(Distribution::weibull(0.8, 3.0), "weibull shape < 1", 11);
  check_moments(Distribution::erlang(4, 8), "erlang", 12);
  check_moments(Distribution::empirical({1, 2, 7}, {0.2, 0.5, 0.3}), "empirical", 13);
  // Exact moments themselves, from closed forms.
  REQUIRE(Distribution::weibull(1.0, 3.0).mean() == Approx(3.0));
  REQUIRE(Distribution::lognormal(5, 2).variance() == Approx(4.0));
  REQUIRE(Distribution::erlang(4, 8).variance() == Approx(16.0));
}

TEST_CASE("process Student t quantiles", "[process][core]") {
  REQUIRE(t_quantile(0.975, 1) == Approx(12.7062).epsilon(1e-4));
  REQUIRE(t_quantile(0.975, 9) == Approx(2.26216).epsilon(1e-4));
  REQUIRE(t_quantile(0.995, 9) == Approx(3.24984).epsilon(1e-4));
  REQUIRE(t_quantile(0.975, 1000) == Approx(1.96234).epsilon(1e-4));
}
