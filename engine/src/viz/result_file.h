// A result file (werk run's HDF5 output) opened for drawing: the bodies'
// shapes and their poses frame by frame.
//
// The shapes come from the file's /geometry group (written by the recorder);
// files written before it existed fall back to compiling the scene text
// stored in /parameters/scene. An optional /particles/bodies/active series
// ([frames][bodies], or [frames][bodies][1]; 0 = not in the scene at that
// frame) hides bodies that are not (yet, or any more) part of the run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "werk/model.h"

namespace werk::viz {

class ResultFile {
 public:
  // Throws InputError when the file is not a werk result.
  explicit ResultFile(const std::string& path);
  ~ResultFile();
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;

  const std::string& path() const { return path_; }
  // Scene name, scene file, SHA-256, engine version, backend (empty when absent).
  std::string scene_name, scene_file, scene_sha256, engine_version, backend;
  uint64_t seed = 0;
  double wall_seconds = -1;  // -1: not recorded
  bool has_process = false;  // a /process group (process simulation results)

  // Bodies (names, kinds) and shapes, as the scene compiled them.
  const Model& model() const { return model_; }
  int nbody() const { return model_.nbody(); }
  const std::vector<double>& times() const { return times_; }
  int64_t frames() const { return int64_t(times_.size()); }
  // The frame recorded at or just before time t (the first one for t before it).
  int64_t frame_at(double t) const;

  struct Poses {
    std::vector<Vec3> position;
    std::vector<Quat> orientation;
    std::vector<uint8_t> active;  // 1 = drawn
  };
  // Every body's pose at frame f.
  Poses poses(int64_t f) const;

 private:
  std::string path_;
  int64_t file_ = -1;
  Model model_;
  std::vector<double> times_;
  bool has_active_ = false;
  int active_rank_ = 2;
};

}  // namespace werk::viz
