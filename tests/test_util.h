// Shared helpers for the test suite: backends to run on, scene text,
// running the CLI as a user would.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kernels/math.h"
#include "werk/scene.h"
#include "werk/simulation.h"
#include "werk/version.h"

namespace werk::test {

// Whether two arrays hold the same bytes (bit-for-bit comparisons).
template <class T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// Every backend this build can run here: the CPU always, the CUDA
// backend's algorithms over OpenMP (emulated-cuda) always, CUDA when a
// device is present. Physics tests GENERATE over these.
// WERK_TEST_BACKEND=cpu|emulated-cuda|cuda narrows the list to one.
inline std::vector<std::string> backends() {
  std::vector<std::string> b{"cpu", "emulated-cuda"};
  if (cuda_device_available()) b.push_back("cuda");
  if (const char* only = std::getenv("WERK_TEST_BACKEND")) {
    if (std::string(only) == "cuda" && !cuda_device_available()) return {};
    return {only};
  }
  return b;
}

// A fresh, empty folder for files a test writes.
inline std::filesystem::path temp_dir(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("werk_test_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

inline std::string write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
  return p.string();
}

// Runs the werk binary with arguments; returns its exit status (128 + signal
// when it died from one); stdout+stderr go to `output`.
inline int run_werk(const std::string& args, std::string* output = nullptr) {
  std::string cmd = std::string(WERK_BINARY) + " " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  int status = pclose(f);
  if (output) *output = out;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

// Minimal scene header; tests append bodies.
inline std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

inline std::string scene_header(const std::string& name, double dt, int substeps, const std::string& gravity = "[0, 0, -9.81]") {
  return "werk: 1\nname: " + name + "\ngravity: " + gravity + "\ndt: " + num(dt) +
         "\nsubsteps: " + std::to_string(substeps) + "\nsleep: false\n";
}

// A 0.1 m rubber box at rest at the start of a quarter-turn belt of radius
// 1 m about the origin (counter-clockwise from +x), running at 0.5 m/s.
inline std::string curved_belt_scene() {
  return scene_header("curve", 1.0 / 120, 4) + "materials:\n  rubber: {density: 500, friction: 0.8}\n" +
         "conveyors:\n  - {name: turn, arc: {center: [0, 0, 0], radius: 1.0, start_deg: 0, end_deg: 90},"
         " width: 0.4, speed: 0.5, material: rubber}\n" +
         "bodies:\n  - {name: part, shape: {type: box, size: [0.1, 0.1, 0.1]}, material: rubber, position: [1.0, 0.05, 0.05]}\n";
}

}  // namespace werk::test
