#include "distribution.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace werk::process {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Standard normal density and distribution function.
double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }
double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// Marsaglia and Tsang's gamma sampler (shape >= 1; boosted below 1).
double sample_gamma(Rng& rng, double shape) {
  if (shape < 1.0) return sample_gamma(rng, shape + 1.0) * std::pow(rng.uniform_pos(), 1.0 / shape);
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = rng.normal(), v = 1.0 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    double u = rng.uniform_pos();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

// Moments of a normal(m, s) truncated to [lo, hi].
void truncated_moments(double m, double s, double lo, double hi, double& mean, double& var) {
  double al = (lo - m) / s, be = (hi - m) / s;
  double pa = std::isfinite(al) ? phi(al) : 0, pb = std::isfinite(be) ? phi(be) : 0;
  double z = Phi(be) - Phi(al);
  double ta = std::isfinite(al) ? al * pa : 0, tb = std::isfinite(be) ? be * pb : 0;
  mean = m + s * (pa - pb) / z;
  var = s * s * (1 + (ta - tb) / z - ((pa - pb) / z) * ((pa - pb) / z));
}

// Marsaglia and Tsang's ziggurat for the standard exponential: 256
// layers; about 98.9% of draws cost one random word, one compare and one
// multiply instead of a logarithm.
struct ExpZiggurat {
  uint32_t k[256];
  double w[256], f[256];
  ExpZiggurat() {
    const double m = 4294967296.0, v = 3.949659822581572e-3;
    double d = 7.697117470131487, t = d, q = v / std::exp(-d);
    k[0] = uint32_t((d / q) * m);
    k[1] = 0;
    w[0] = q / m;
    w[255] = d / m;
    f[0] = 1.0;
    f[255] = std::exp(-d);
    for (int i = 254; i >= 1; --i) {
      d = -std::log(v / d + std::exp(-d));
      k[i + 1] = uint32_t((d / t) * m);
      t = d;
      f[i] = std::exp(-d);
      w[i] = d / m;
    }
  }
  double sample(Rng& rng) const {
    for (;;) {
      uint64_t r = rng.next();
      uint32_t j = uint32_t(r >> 32), i = uint32_t(r & 255);
      if (j < k[i]) return j * w[i];
      if (i == 0) return 7.697117470131487 - std::log(rng.uniform_pos());
      double x = j * w[i];
      if (f[i] + rng.uniform() * (f[i - 1] - f[i]) < std::exp(-x)) return x;
    }
  }
};
const ExpZiggurat kExpZiggurat;

}  // namespace

// Parameters by kind: constant a; uniform [a, b]; triangular a, c=mode, b;
// exponential a = mean; normal mean a, sd b, bounds [c, d]; lognormal
// mu a, sigma b (of the log); gamma shape a, scale b; weibull shape a,
// scale b; erlang k = a, mean b.
Distribution Distribution::constant(double v) { return {DistKind::constant, v}; }
Distribution Distribution::exponential(double mean) { return {DistKind::exponential, mean}; }
Distribution Distribution::uniform(double lo, double hi) { return {DistKind::uniform, lo, hi}; }
Distribution Distribution::triangular(double lo, double mode, double hi) { return {DistKind::triangular, lo, hi, mode}; }
Distribution Distribution::normal(double mean, double sd, double lo, double hi) {
  return {DistKind::normal, mean, sd, lo, hi};
}
Distribution Distribution::lognormal(double mean, double sd) {
  double s2 = std::log(1.0 + (sd * sd) / (mean * mean));
  return {DistKind::lognormal, std::log(mean) - 0.5 * s2, std::sqrt(s2)};
}
Distribution Distribution::gamma(double shape, double scale) { return {DistKind::gamma, shape, scale}; }
Distribution Distribution::weibull(double shape, double scale) { return {DistKind::weibull, shape, scale}; }
Distribution Distribution::erlang(int k, double mean) { return {DistKind::erlang, double(k), mean}; }
Distribution Distribution::empirical(std::vector<double> values, std::vector<double> weights) {
  Distribution d{DistKind::empirical};
  double total = 0;
  for (double w : weights) total += w;
  double acc = 0;
  for (double w : weights) d.cumulative.push_back((acc += w) / total);
  d.cumulative.back() = 1.0;
  d.values = std::move(values);
  return d;
}

double Distribution::sample(Rng& rng) const {
  switch (kind) {
    case DistKind::constant: return a;
    case DistKind::uniform: return a + (b - a) * rng.uniform();
    case DistKind::triangular: {
      // Inverse CDF of the triangle a <= c <= b.
      double u = rng.uniform(), f = (c - a) / (b - a);
      return u < f ? a + std::sqrt(u * (b - a) * (c - a)) : b - std::sqrt((1 - u) * (b - a) * (b - c));
    }
    case DistKind::exponential: return a * kExpZiggurat.sample(rng);
    case DistKind::normal: {
      // Rejection keeps the truncated shape exact.
      for (;;) {
        double x = a + b * rng.normal();
        if (x >= c && x <= d) return x;
      }
    }
    case DistKind::lognormal: return std::exp(a + b * rng.normal());
    case DistKind::gamma: return b * sample_gamma(rng, a);
    case DistKind::weibull: return b * std::pow(-std::log(rng.uniform_pos()), 1.0 / a);
    case DistKind::erlang: {
      // Product of k uniforms: one log instead of k.
      double p = 1.0, total = 0.0;
      for (int i = 0; i < int(a); ++i) {
        p *= rng.uniform_pos();
        if (p < 1e-300) total += -std::log(p), p = 1.0;
      }
      return (total - std::log(p)) * b / a;
    }
    case DistKind::empirical: {
      double u = rng.uniform();
      size_t i = std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin();
      return values[std::min(i, values.size() - 1)];
    }
  }
  return 0;
}

double Distribution::mean() const {
  switch (kind) {
    case DistKind::constant: return a;
    case DistKind::uniform: return 0.5 * (a + b);
    case DistKind::triangular: return (a + b + c) / 3.0;
    case DistKind::exponential: return a;
    case DistKind::normal: {
      double m, v;
      truncated_moments(a, b, c, d, m, v);
      return m;
    }
    case DistKind::lognormal: return std::exp(a + 0.5 * b * b);
    case DistKind::gamma: return a * b;
    case DistKind::weibull: return b * std::tgamma(1.0 + 1.0 / a);
    case DistKind::erlang: return b;
    case DistKind::empirical: {
      double m = 0, prev = 0;
      for (size_t i = 0; i < values.size(); ++i) m += values[i] * (cumulative[i] - prev), prev = cumulative[i];
      return m;
    }
  }
  return 0;
}

double Distribution::variance() const {
  switch (kind) {
    case DistKind::constant: return 0;
    case DistKind::uniform: return (b - a) * (b - a) / 12.0;
    case DistKind::triangular: return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0;
    case DistKind::exponential: return a * a;
    case DistKind::normal: {
      double m, v;
      truncated_moments(a, b, c, d, m, v);
      return v;
    }
    case DistKind::lognormal: return (std::exp(b * b) - 1.0) * std::exp(2 * a + b * b);
    case DistKind::gamma: return a * b * b;
    case DistKind::weibull: {
      double g1 = std::tgamma(1.0 + 1.0 / a), g2 = std::tgamma(1.0 + 2.0 / a);
      return b * b * (g2 - g1 * g1);
    }
    case DistKind::erlang: return b * b / a;
    case DistKind::empirical: {
      double m = mean(), v = 0, prev = 0;
      for (size_t i = 0; i < values.size(); ++i)
        v += (values[i] - m) * (values[i] - m) * (cumulative[i] - prev), prev = cumulative[i];
      return v;
    }
  }
  return 0;
}

std::string Distribution::describe() const {
  static const char* names[] = {"constant", "uniform", "triangular", "exponential", "normal",
                                "lognormal", "gamma", "weibull", "erlang", "empirical"};
  std::ostringstream s;
  s << names[int(kind)] << "(mean " << mean() << ")";
  return s.str();
}

namespace {

// One reader per kind; each validates its own parameters.
Distribution read_map(const yaml::Source& src, yaml::MapReader& m, bool non_negative) {
  std::string kind = m.choice("dist", {"constant", "uniform", "triangular", "exponential", "normal", "lognormal",
                                       "gamma", "weibull", "erlang", "empirical"});
  const YAML::Node& node = m.node();
  auto need_order = [&](double lo, double hi, const std::string& msg) {
    if (!(lo <= hi)) yaml::fail(src, node, m.path("") + " " + msg);
  };
  if (kind == "constant") {
    return Distribution::constant(non_negative ? m.non_negative("value") : m.number("value"));
  }
  if (kind == "uniform") {
    double lo = non_negative ? m.non_negative("min") : m.number("min"), hi = m.number("max");
    need_order(lo, hi, "uniform: expected min <= max");
    return Distribution::uniform(lo, hi);
  }
  if (kind == "triangular") {
    double lo = non_negative ? m.non_negative("min") : m.number("min"), mode = m.number("mode"), hi = m.number("max");
    need_order(lo, mode, "triangular: expected min <= mode <= max");
    need_order(mode, hi, "triangular: expected min <= mode <= max");
    if (!(lo < hi)) yaml::fail(src, node, m.path("") + " triangular: expected min < max");
    return Distribution::triangular(lo, mode, hi);
  }
  if (kind == "exponential") return Distribution::exponential(m.positive("mean"));
  if (kind == "normal") {
    double mean = m.number("mean"), sd = m.positive("sd");
    double lo = m.number("min", non_negative ? 0.0 : -kInf), hi = m.number("max", kInf);
    if (non_negative && lo < 0) yaml::fail(src, m.required("min"), m.path("min") + ": expected a number >= 0 for a time");
    need_order(lo, hi, "normal: expected min < max");
    // A window far in a tail would make rejection sampling hang.
    if (Phi((hi - mean) / sd) - Phi((lo - mean) / sd) < 1e-3)
      yaml::fail(src, node, m.path("") + " normal: the [min, max] window holds under 0.1% of the distribution");
    return Distribution::normal(mean, sd, lo, hi);
  }
  if (kind == "lognormal") {
    if (m.has("mu")) {
      double mu = m.number("mu"), sigma = m.positive("sigma");
      return {DistKind::lognormal, mu, sigma};
    }
    return Distribution::lognormal(m.positive("mean"), m.positive("sd"));
  }
  if (kind == "gamma" || kind == "weibull") {
    double shape = m.positive("shape");
    double scale;
    if (m.has("mean")) {
      double mean = m.positive("mean");
      scale = kind == "gamma" ? mean / shape : mean / std::tgamma(1.0 + 1.0 / shape);
    } else {
      scale = m.positive("scale");
    }
    return kind == "gamma" ? Distribution::gamma(shape, scale) : Distribution::weibull(shape, scale);
  }
  if (kind == "erlang") {
    int64_t k = m.integer("k", 1);
    if (k < 1 || k > 1000) yaml::fail(src, m.required("k"), m.path("k") + ": expected an integer in [1, 1000], found " + std::to_string(k));
    return Distribution::erlang(int(k), m.positive("mean"));
  }
  // Empirical: a table of values with optional weights (equal by default).
  YAML::Node vals = m.required("values");
  if (!vals.IsSequence() || vals.size() == 0)
    yaml::fail(src, vals, m.path("values") + ": expected a non-empty list of numbers, found " + yaml::describe(vals));
  std::vector<double> values, weights;
  for (size_t i = 0; i < vals.size(); ++i) {
    double v = yaml::as_number(src, vals[i], m.path("values") + "[" + std::to_string(i) + "]");
    if (non_negative && v < 0) yaml::fail(src, vals[i], m.path("values") + ": expected numbers >= 0 for a time, found " + std::to_string(v));
    values.push_back(v);
  }
  YAML::Node w = m.optional("weights");
  if (w) {
    if (!w.IsSequence() || w.size() != vals.size())
      yaml::fail(src, w, m.path("weights") + ": expected a list of " + std::to_string(vals.size()) + " numbers, found " + yaml::describe(w));
    for (size_t i = 0; i < w.size(); ++i) {
      double x = yaml::as_number(src, w[i], m.path("weights"));
      if (x < 0) yaml::fail(src, w[i], m.path("weights") + ": expected weights >= 0");
      weights.push_back(x);
    }
  } else {
    weights.assign(values.size(), 1.0);
  }
  double total = 0;
  for (double x : weights) total += x;
  if (!(total > 0)) yaml::fail(src, w, m.path("weights") + ": expected a positive total weight");
  return Distribution::empirical(std::move(values), std::move(weights));
}

}  // namespace

Distribution read_distribution(const yaml::Source& src, const YAML::Node& node, const std::string& what,
                               bool non_negative) {
  if (node.IsScalar()) {
    double v = yaml::as_number(src, node, what);
    if (non_negative && v < 0) yaml::fail(src, node, what + ": expected a time >= 0, found " + node.Scalar());
    return Distribution::constant(v);
  }
  if (!node.IsMap())
    yaml::fail(src, node, what + ": expected a number or a distribution {dist: exponential, mean: ...}, found " +
                              yaml::describe(node));
  yaml::MapReader m(src, node, what);
  Distribution d = read_map(src, m, non_negative);
  m.finish();
  return d;
}

}  // namespace werk::process
