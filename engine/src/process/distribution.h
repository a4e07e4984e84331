// Probability distributions for times (seconds) and counts.
//
// Design: one small value type with a kind tag and up to four parameters,
// sampled by a switch. No virtual calls and no allocation except for the
// empirical table, so a station's process time costs a few nanoseconds.
// Every kind knows its exact mean and variance; the tests compare samples
// against them and OEE uses the mean as the ideal cycle time.
#pragma once

#include <string>
#include <vector>

#include "random.h"
#include "../yaml_read.h"

namespace werk::process {

enum class DistKind { constant, uniform, triangular, exponential, normal, lognormal, gamma, weibull, erlang, empirical };

struct Distribution {
  DistKind kind = DistKind::constant;
  double a = 0, b = 0, c = 0, d = 0;  // meaning depends on kind (see distribution.cpp)
  std::vector<double> values, cumulative;  // empirical table

  static Distribution constant(double v);
  static Distribution exponential(double mean);
  static Distribution uniform(double lo, double hi);
  static Distribution triangular(double lo, double mode, double hi);
  // Normal, truncated to [lo, hi] (use +-infinity for none).
  static Distribution normal(double mean, double sd, double lo, double hi);
  static Distribution lognormal(double mean, double sd);
  static Distribution gamma(double shape, double scale);
  static Distribution weibull(double shape, double scale);
  static Distribution erlang(int k, double mean);
  static Distribution empirical(std::vector<double> values, std::vector<double> weights);

  double sample(Rng& rng) const;
  double mean() const;
  double variance() const;
  std::string describe() const;
};

// Reads a distribution: a plain number (a constant) or a map
// {dist: KIND, ...parameters}. `non_negative` rejects kinds that can
// produce negative values (times must be >= 0).
Distribution read_distribution(const yaml::Source& src, const YAML::Node& node, const std::string& what,
                               bool non_negative = true);

}  // namespace werk::process
