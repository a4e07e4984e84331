// Recorder: body trajectories and the scene's shapes as an H5MD 1.1 file.
//
// Layout (see docs/output-format.md):
//   /h5md                      version [1, 1]; author; creator (werk, version)
//   /particles/bodies/box      dimension 3, boundary none (required by H5MD)
//   /particles/bodies/{position,orientation,velocity,angular_velocity}/
//        step [frames], time [frames], value [frames][bodies][3 or 4]
//   /particles/bodies/id       body ids [bodies]; names in /parameters/body_names
//   /parameters                scene text, SHA-256, seed, backend, engine version, wall time
//   /geometry                  body kinds and shapes in the body frames, hull and mesh data
//
// Datasets are chunked along time and compressed (shuffle + deflate). With
// `swmr` on, the file is written in HDF5's single-writer/multiple-reader
// mode: a reader (h5py with swmr=True) can watch the run live, and a killed
// run leaves a readable file with every frame up to the last flush. The
// file is flushed at least every `flush_seconds` of wall time.
//
// With `atomic` on (the default) nothing is written at the output path
// until close(): the recorder writes running_path(path) in the same folder
// and close() renames it over the output in one step, so an existing file
// at the output path is either left untouched (a failed or killed run) or
// replaced by a complete one. ParaView reads the VTK files that `werk
// export` writes from the result (docs/visualization.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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
  bool atomic = true;           // write running_path(), rename it at close()
  // >= 0: continue an interrupted run: reopen the running file that run
  // left (a checkpoint's), keep its first `resume_frames` frames and append
  // after them; frames written after the checkpoint are dropped.
  int64_t resume_frames = -1;
};

// Where an atomic recorder writes while the run goes on (a live SWMR reader
// opens this): OUT.partial.h5 for OUT.h5, otherwise OUT.partial.
WERK_API std::string running_path(const std::string& path);

class WERK_API Recorder {
 public:
  // Creates the file (running_path(path) when atomic), or reopens it with
  // options.resume_frames. Throws RuntimeError when it cannot.
  Recorder(const Model& model, const std::string& path, const RecorderOptions& options);
  // Closes the file like close(); while an exception unwinds, it closes the
  // running file but leaves it under its running name (the output path
  // keeps what it had).
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Appends one frame of every world's bodies.
  void record(const State& state);
  // Flushes the data now.
  void flush();
  // Flushes and closes; an atomic recorder then renames the running file
  // to the output path. `append` (when given) writes what could not be
  // written in SWMR mode (new groups and datasets) into the closed file,
  // reopened (its hid_t), before the rename. Throws RuntimeError, leaving
  // the output path as it was, when another writer still holds an object
  // of the file open: the file would not be complete when renamed. Further
  // calls do nothing.
  void close(const std::function<void(int64_t file)>& append = {});
  // Closes the file and leaves it under its running name; the output path
  // keeps what it had. Further calls do nothing.
  void abandon();
  // The file being written now (running_path(path) when atomic).
  const std::string& writing_path() const;

  int64_t frames() const;
  // The run's wall time (s), recorded as /parameters wall_seconds at close().
  void set_wall_seconds(double seconds);
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
