// Shared helpers of the process simulation tests.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "../engine/src/process/experiment.h"

namespace werk::process::test {

// Compiles the process: section of a YAML scene given as text.
inline Model model_from(const std::string& text) {
  static yaml::Source src{"test.yaml"};
  YAML::Node root = yaml::load_string(src, text);
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

}  // namespace werk::process::test
