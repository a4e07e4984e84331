// Recorder: body trajectories as an H5MD 1.1 file, plus an XDMF sidecar.
//
// Layout (see docs/output-format.md):
//   /h5md                      version [1, 1]; author; creator (werk, version)
//   /particles/bodies/box      dimension 3, boundary none (required by H5MD)
//   /particles/bodies/{position,orientation,velocity,angular_velocity}/
//        step [frames], time [frames], value [frames][bodies][3 or 4]
//   /particles/bodies/id       body ids [bodies]; names in /parameters/body_names
//   /parameters                scene text, SHA-256, seed, backend, engine version
//
// Datasets are chunked along time and compressed (shuffle + deflate). With
// `swmr` on, the file is written in HDF5's single-writer/multiple-reader
// mode: a reader (h5py with swmr=True) can watch the run live, and a killed
// run leaves a readable file with every frame up to the last flush. The
// file is flushed at least every `flush_seconds` of wall time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "werk/model.h"
#include "werk/state.h"

namespace werk {

struct RecorderOptions {
  std::string backend;          // recorded in /parameters
  uint64_t seed = 0;            // recorded in /parameters
  double flush_seconds = 2.0;   // longest wall time between flushes
  bool swmr = true;             // single-writer/multiple-reader mode
  bool xdmf = true;             // write OUT.xdmf beside OUT.h5
};

class WERK_API Recorder {
 public:
  // Creates (truncates) the file. Throws RuntimeError when it cannot.
  Recorder(const Model& model, const std::string& path, const RecorderOptions& options);
  ~Recorder();  // closes the file
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Appends one frame of every world's bodies.
  void record(const State& state);
  // Flushes data and the XDMF sidecar now.
  void flush();
  // Flushes and closes; further calls do nothing.
  void close();

  int64_t frames() const;
  // The HDF5 file id (hid_t), for writers of further groups before SWMR
  // starts; see start_swmr().
  int64_t file_id() const;
  // Starts SWMR mode (no new groups or datasets after this).
  void start_swmr();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Lowercase hex SHA-256 of a string (FIPS 180-4).
WERK_API std::string sha256_hex(const std::string& data);

}  // namespace werk
