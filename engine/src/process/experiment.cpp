#include "experiment.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iomanip>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "archive.h"
#include "werk_limits.h"
#include "werk/error.h"
#include "werk/interrupt.h"

namespace werk::process {

namespace {

// Normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
double normal_quantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  if (p < 0.02425) {
    double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - 0.02425) return -normal_quantile(1 - p);
  double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Regularized incomplete beta by continued fraction (Numerical Recipes),
// used to invert the t distribution function exactly.
double beta_cf(double a, double b, double x) {
  double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
  if (std::abs(d) < 1e-300) d = 1e-300;
  d = 1 / d;
  double h = d;
  for (int m = 1; m < 300; ++m) {
    int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d, c = 1 + aa / c;
    if (std::abs(d) < 1e-300) d = 1e-300;
    if (std::abs(c) < 1e-300) c = 1e-300;
    d = 1 / d, h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d, c = 1 + aa / c;
    if (std::abs(d) < 1e-300) d = 1e-300;
    if (std::abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (std::abs(del - 1) < 1e-15) break;
  }
  return h;
}

double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  double bt = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return bt * beta_cf(a, b, x) / a;
  return 1 - bt * beta_cf(b, a, 1 - x) / b;
}

// P(T <= t) for Student's t with df degrees of freedom, t >= 0.
double t_cdf(double t, int df) { return 1 - 0.5 * incomplete_beta(0.5 * df, 0.5, df / (df + t * t)); }

}  // namespace

double t_quantile(double p, int df) {
  if (df <= 0) return std::numeric_limits<double>::quiet_NaN();
  // Bisection on the exact distribution function.
  double lo = 0, hi = std::max(10.0, 4 * normal_quantile(p));
  while (t_cdf(hi, df) < p) hi *= 2;
  for (int i = 0; i < 200; ++i) {
    double mid = 0.5 * (lo + hi);
    (t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

void confidence_interval(const std::vector<double>& x, double level, double& mean, double& half_width) {
  size_t n = x.size();
  mean = 0;
  for (double v : x) mean += v;
  mean /= double(n);
  if (n < 2) {
    half_width = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  half_width = t_quantile(0.5 + 0.5 * level, int(n) - 1) * std::sqrt(ss / double(n - 1) / double(n));
}

const KpiStat& Experiment::kpi(const std::string& name) const {
  for (auto& k : kpis)
    if (k.name == name) return k;
  throw std::out_of_range("no KPI named " + name);
}

namespace {

double quantile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double pos = p * double(v.size() - 1);
  size_t i = size_t(pos);
  double f = pos - double(i);
  return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}

struct Row {
  std::string name, unit;
  double value;
};

// The KPIs of one replication, always in the same order.
std::vector<Row> flatten(const Model& m, Results& r) {
  std::vector<Row> k;
  double window = r.window_seconds, hours = window / 3600.0;
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  double energy = 0;
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    const NodeSpec& n = m.nodes[i];
    if (n.kind != NodeKind::station) continue;
    const StationSpec& spec = m.stations[n.index];
    const StationResult& s = r.stations[n.index];
    double total = window * spec.capacity;
    double scheduled = total - s.seconds[int(State::off_shift)];
    for (int st = 0; st < kStateCount; ++st) k.push_back({n.name + "." + kStateNames[st], "fraction", ratio(s.seconds[st], total)});
    double active = s.seconds[int(State::working)] + s.seconds[int(State::setup)] + s.seconds[int(State::failed)] +
                    s.seconds[int(State::maintenance)];
    k.push_back({n.name + ".utilization", "fraction", ratio(s.seconds[int(State::working)], scheduled)});
    k.push_back({n.name + ".active", "fraction", ratio(active, scheduled)});
    k.push_back({n.name + ".parts_in", "parts", double(s.parts_in)});
    k.push_back({n.name + ".parts_out", "parts", double(s.parts_out)});
    // OEE per ISO 22400: planned busy time excludes off-shift and
    // planned maintenance; availability = APT / PBT, performance =
    // ideal time of produced parts / APT, quality = good / produced.
    double pbt = scheduled - s.seconds[int(State::maintenance)];
    double apt = s.seconds[int(State::working)];
    double a = ratio(apt, pbt), p = ratio(s.ideal_seconds, apt), q = ratio(double(s.good), double(s.produced));
    k.push_back({n.name + ".availability", "fraction", a});
    k.push_back({n.name + ".performance", "fraction", p});
    k.push_back({n.name + ".quality", "fraction", q});
    k.push_back({n.name + ".oee", "fraction", a * p * q});
    k.push_back({n.name + ".energy", "kWh", s.energy_kwh});
    k.push_back({n.name + ".energy_per_part", "kWh", ratio(s.energy_kwh, double(s.parts_out))});
    energy += s.energy_kwh;
  }
  size_t bi = 0, ci = 0, si = 0;
  for (const NodeSpec& n : m.nodes) {
    if (n.kind == NodeKind::buffer || n.kind == NodeKind::conveyor) {
      const BufferResult& b = r.buffers[n.kind == NodeKind::buffer ? bi++ : m.buffers.size() + ci++];
      k.push_back({n.name + ".mean_length", "parts", b.mean_length});
      k.push_back({n.name + ".mean_wait", "s", b.mean_wait});
      k.push_back({n.name + ".max_length", "parts", double(b.max_length)});
      k.push_back({n.name + ".parts_out", "parts", double(b.parts_out)});
    }
    if (n.kind == NodeKind::source) {
      k.push_back({n.name + ".generated", "parts", double(r.source_generated[si])});
      k.push_back({n.name + ".lost", "parts", double(r.source_lost[si])});
      k.push_back({n.name + ".loss_probability", "fraction", ratio(double(r.source_lost[si]), double(r.source_generated[si]))});
      ++si;
    }
  }
  for (size_t i = 0; i < m.pools.size(); ++i)
    k.push_back({"workers." + m.pools[i].name + ".utilization", "fraction", r.pool_utilization[i]});
  std::vector<double>& lt = r.lead_times;
  double lt_mean = 0;
  for (double x : lt) lt_mean += x;
  lt_mean = lt.empty() ? 0 : lt_mean / double(lt.size());
  k.push_back({"line.throughput", "parts/h", ratio(double(r.good_parts), hours)});
  k.push_back({"line.good_parts", "parts", double(r.good_parts)});
  k.push_back({"line.scrapped_parts", "parts", double(r.scrapped_parts)});
  k.push_back({"line.wip", "parts", r.wip_mean});
  k.push_back({"line.lead_time_mean", "s", lt_mean});
  k.push_back({"line.lead_time_p50", "s", quantile(lt, 0.5)});
  k.push_back({"line.lead_time_p95", "s", quantile(lt, 0.95)});
  k.push_back({"line.energy", "kWh", energy});
  k.push_back({"line.energy_per_good_part", "kWh", ratio(energy, double(r.good_parts))});
  // Little's law over every departure (good, scrapped or assembled in).
  double lambda = ratio(double(r.departures), window);
  k.push_back({"line.departure_rate", "parts/s", lambda});
  k.push_back({"line.sojourn_mean", "s", r.sojourn_mean});
  k.push_back({"line.little_lambda_w", "parts", lambda * r.sojourn_mean});
  k.push_back({"line.little_identity_error", "fraction", r.wip_integral_check});
  return k;
}

}  // namespace

// Every member of a replication's results (see archive.h).
template <class A>
void io(A& a, Results& r) {
  archive::all(a, r.window_seconds, r.end_seconds, r.interrupted, r.events, r.stations, r.buffers, r.source_generated,
               r.source_lost, r.pool_utilization, r.good_parts, r.scrapped_parts, r.wip_mean, r.lead_times,
               r.departures, r.sojourn_mean, r.wip_integral_check);
}

namespace {

template <class A>
void io(A& a, Row& r) {
  archive::all(a, r.name, r.unit, r.value);
}

// Where each replication of an experiment stands.
struct Replication {
  enum Status : uint8_t { not_started, paused, done };
  uint8_t status = not_started;
  std::string state;       // a paused simulator's save()
  Results results;         // done: its results (lead-time samples dropped) and KPI rows
  std::vector<Row> rows;
};

template <class A>
void io(A& a, Replication& r) {
  archive::all(a, r.status, r.state, r.results, r.rows);
}

void summarize(const Model& model, Experiment& e, const std::vector<std::vector<Row>>& rows);

}  // namespace

Experiment run_experiment(const Model& model, uint64_t seed, int replications, int threads, Trace* trace,
                          bool progress, const ExperimentCheckpoints* checkpoints) {
  Experiment e;
  e.runs.resize(replications);
  std::vector<Replication> reps(replications);
  if (checkpoints && !checkpoints->resume.empty()) {
    archive::Load a{checkpoints->resume};
    io(a, reps);
    if (a.left() != 0 || reps.size() != size_t(replications))
      throw RuntimeError("process state: another experiment's state (" + std::to_string(reps.size()) +
                         " replications, this one has " + std::to_string(replications) + ")");
  }
  int nthreads = threads > 0 ? threads : omp_get_max_threads();
  nthreads = std::max(1, std::min(nthreads, replications));
  int done = 0;
  for (auto& r : reps) done += r.status == Replication::done;
  std::vector<std::exception_ptr> errors(replications);
  const std::function<bool()> no_pause;
  const std::function<bool()>& pause = checkpoints ? checkpoints->pause : no_pause;
  for (;;) {
    // Replication i always uses stream set i, whichever thread runs it.
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (int i = 0; i < replications; ++i) {
      Replication& rep = reps[i];
      if (rep.status == Replication::done) continue;
      // A stop that pauses (a checkpoint follows) starts no further replication.
      if (rep.status == Replication::not_started && stop_requested() && pause && pause()) continue;
      try {
        Simulator sim(model, seed, uint64_t(i), i == 0 ? trace : nullptr);
        if (rep.status == Replication::paused) sim.load(rep.state);
        Results r = sim.run(model.duration, pause);
        if (sim.paused()) {
          rep.status = Replication::paused;
          rep.state = sim.save();
          continue;
        }
        rep.rows = flatten(model, r);
        r.lead_times.clear();
        r.lead_times.shrink_to_fit();
        rep.results = std::move(r);
        rep.status = Replication::done;
        rep.state.clear();
      } catch (...) {
        errors[i] = std::current_exception();
        continue;
      }
      if (progress) {
#pragma omp critical
        std::fprintf(stderr, "werk: replication %d/%d done\n", ++done, replications);
      }
    }
    for (auto& err : errors)
      if (err) std::rethrow_exception(err);
    bool all_done = true;
    for (auto& r : reps) all_done &= r.status == Replication::done;
    if (all_done || !checkpoints) break;
    archive::Save a;
    io(a, reps);
    checkpoints->save(a.bytes);
    if (stop_requested()) {
      e.interrupted = e.paused = true;
      return e;
    }
  }
  std::vector<std::vector<Row>> rows(replications);
  for (int i = 0; i < replications; ++i) {
    rows[i] = std::move(reps[i].rows);
    e.runs[i] = std::move(reps[i].results);
  }
  // Exceptions cannot cross the parallel region: rethrow the first here.
  for (auto& err : errors)
    if (err) std::rethrow_exception(err);
  summarize(model, e, rows);
  return e;
}

Experiment summarize(const Model& model, std::vector<Results> runs) {
  Experiment e;
  std::vector<std::vector<Row>> rows;
  for (auto& r : runs) {
    rows.push_back(flatten(model, r));
    r.lead_times.clear();
    r.lead_times.shrink_to_fit();
  }
  e.runs = std::move(runs);
  summarize(model, e, rows);
  return e;
}

namespace {

void summarize(const Model& model, Experiment& e, const std::vector<std::vector<Row>>& rows) {
  for (auto& r : e.runs) e.interrupted |= r.interrupted, e.events += r.events;
  for (size_t j = 0; j < rows[0].size(); ++j) {
    KpiStat k{rows[0][j].name, rows[0][j].unit};
    for (auto& row : rows) k.values.push_back(row[j].value);
    confidence_interval(k.values, 0.95, k.mean, k.half_width);
    e.kpis.push_back(std::move(k));
  }
  // The bottleneck: the station active (not starved, blocked or off)
  // for the largest share of its scheduled time.
  double best = -1;
  for (size_t i = 0; i < model.nodes.size(); ++i) {
    if (model.nodes[i].kind != NodeKind::station) continue;
    double a = e.kpi(model.nodes[i].name + ".active").mean;
    if (a > best) best = a, e.bottleneck = int(i);
  }
}

}  // namespace

namespace {

std::string fmt(double v, int prec) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << v;
  return s.str();
}

// "12.3" or "12.3 ± 0.4" when there is an interval.
std::string with_ci(const KpiStat& k, double scale, int prec) {
  std::string s = fmt(k.mean * scale, prec);
  if (std::isfinite(k.half_width)) s += " ± " + fmt(k.half_width * scale, prec);
  return s;
}

// Pads to `width` display columns (UTF-8 aware: "±" is one column).
std::string pad(const std::string& s, size_t width, bool left = false) {
  size_t cols = 0;
  for (unsigned char ch : s) cols += (ch & 0xC0) != 0x80;
  std::string fill(cols < width ? width - cols : 0, ' ');
  return left ? s + fill : fill + s;
}

}  // namespace

void print_kpi_table(const Model& m, const Experiment& e, std::ostream& out) {
  // Short runs (a physical line's minute) in seconds, shifts and weeks in hours.
  auto span = [](double seconds) {
    return seconds < 7200 ? format_number(seconds) + " s" : fmt(seconds / 3600.0, 1) + " h";
  };
  int reps = int(e.runs.size());
  double window = e.runs.empty() ? 0 : e.runs[0].window_seconds;
  out << "\nProcess KPIs (" << reps << " replication" << (reps > 1 ? "s, mean ± 95% CI" : "") << "; statistics over "
      << span(window) << " after " << span(to_seconds(m.warmup)) << " warm-up)"
      << (e.interrupted ? " [INTERRUPTED]" : "") << "\n\n";
  size_t name_w = 8;
  for (auto& n : m.nodes) name_w = std::max(name_w, n.name.size() + 3);
  out << pad("station", name_w, true) << pad("util %", 14) << pad("work", 7) << pad("setup", 7) << pad("idle", 7)
      << pad("blocked", 8) << pad("failed", 7) << pad("maint", 7) << pad("off", 7) << pad("parts out", 10)
      << pad("OEE %", 14) << pad("kWh", 10) << "\n";
  for (size_t i = 0; i < m.nodes.size(); ++i) {
    const NodeSpec& n = m.nodes[i];
    if (n.kind != NodeKind::station) continue;
    auto pct = [&](const char* s, size_t w) { return pad(fmt(100 * e.kpi(n.name + "." + s).mean, 1), w); };
    out << pad(n.name + (int(i) == e.bottleneck ? " *" : ""), name_w, true)
        << pad(with_ci(e.kpi(n.name + ".utilization"), 100, 1), 14) << pct("working", 7) << pct("setup", 7)
        << pct("idle", 7) << pct("blocked", 8) << pct("failed", 7) << pct("maintenance", 7) << pct("off_shift", 7)
        << pad(fmt(e.kpi(n.name + ".parts_out").mean, 0), 10) << pad(with_ci(e.kpi(n.name + ".oee"), 100, 1), 14)
        << pad(fmt(e.kpi(n.name + ".energy").mean, 1), 10) << "\n";
  }
  out << "(state columns: % of server time; * = bottleneck)\n\n";
  for (const NodeSpec& n : m.nodes) {
    if (n.kind != NodeKind::buffer && n.kind != NodeKind::conveyor) continue;
    out << pad(n.name, name_w, true) << " mean length " << with_ci(e.kpi(n.name + ".mean_length"), 1, 2)
        << ", mean wait " << with_ci(e.kpi(n.name + ".mean_wait"), 1, 1) << " s, max " << fmt(e.kpi(n.name + ".max_length").mean, 0) << "\n";
  }
  auto line = [&](const std::string& label, const std::string& key, double scale, int prec, const std::string& unit) {
    out << pad(label, 26, true) << with_ci(e.kpi(key), scale, prec) << " " << unit << "\n";
  };
  out << "\n";
  line("throughput", "line.throughput", 1, 2, "good parts/h");
  line("WIP (time average)", "line.wip", 1, 2, "parts");
  // Lead times in minutes, or seconds for fast lines.
  bool minutes = e.kpi("line.lead_time_mean").mean >= 600;
  double scale = minutes ? 1.0 / 60 : 1.0;
  const char* unit = minutes ? "min" : "s";
  line("lead time mean", "line.lead_time_mean", scale, 2, unit);
  line("lead time p50", "line.lead_time_p50", scale, 2, unit);
  line("lead time p95", "line.lead_time_p95", scale, 2, unit);
  line("good / scrapped parts", "line.good_parts", 1, 0, "/ " + fmt(e.kpi("line.scrapped_parts").mean, 0));
  line("energy", "line.energy", 1, 1, "kWh");
  line("energy per good part", "line.energy_per_good_part", 1, 3, "kWh");
  for (auto& p : m.pools) line("workers " + p.name + " util.", "workers." + p.name + ".utilization", 100, 1, "%");
  if (e.bottleneck >= 0)
    out << "bottleneck                " << m.nodes[e.bottleneck].name << " (active "
        << fmt(100 * e.kpi(m.nodes[e.bottleneck].name + ".active").mean, 1) << "% of scheduled time)\n";
}

std::string kpis_json(const Model& m, const Experiment& e, uint64_t seed) {
  nlohmann::ordered_json j;
  j["replications"] = e.runs.size();
  j["seed"] = seed;
  j["interrupted"] = e.interrupted;
  j["window_seconds"] = e.runs.empty() ? 0.0 : e.runs[0].window_seconds;
  j["warmup_seconds"] = to_seconds(m.warmup);
  j["bottleneck"] = e.bottleneck >= 0 ? nlohmann::ordered_json(m.nodes[e.bottleneck].name) : nlohmann::ordered_json();
  auto& k = j["kpis"];
  for (auto& s : e.kpis) {
    nlohmann::ordered_json o;
    o["unit"] = s.unit;
    o["mean"] = s.mean;
    if (std::isfinite(s.half_width)) o["ci95"] = {s.low(), s.high()};
    else o["ci95"] = nullptr;
    o["values"] = s.values;
    k[s.name] = o;
  }
  return j.dump(2);
}

}  // namespace werk::process
