// `werk run` of a physical line (see session.h).
#include "session.h"

#include <hdf5.h>

#include <cstdio>
#include <fstream>

#include "werk/error.h"
#include "../process/archive.h"
#include "../process/h5_output.h"
#include "../werk_limits.h"

namespace werk::line {

Session::Session(const yaml::Source& src, const YAML::Node& root, const Model& model, const process::RunOptions& o,
                 double duration, uint64_t seed)
    : model_(model), seed_(seed) {
  if (process::has_process(root)) {
    pm_ = std::make_unique<process::Model>(process::compile_model(src, root["process"], duration, seed));
    // The process runs beside the physics, for the physics' duration.
    pm_->duration = process::to_ticks(duration);
    if (pm_->warmup >= pm_->duration)
      throw InputError(src.file, 0, 0, "process.warmup: expected less than the physics' duration (" + format_number(duration) + " s)");
    worlds_ = o.replications > 0 ? o.replications : pm_->replications;
  } else if (o.replications > 0) {
    worlds_ = o.replications;
  }
  spec_ = compile_line(src, root, model, pm_.get());
}

Session::~Session() = default;

void Session::start(Simulation& sim, int64_t h5file) {
  if (pm_ && h5file >= 0) trace_ = std::make_unique<process::H5Trace>(hid_t(h5file), *pm_);
  run_ = std::make_unique<LineRun>(sim, pm_.get(), spec_, seed_, trace_.get());
}

void Session::resume(Simulation& sim, int64_t h5file, const std::string& state) {
  process::archive::Load a{state};
  std::vector<int64_t> rows;
  std::string line;
  process::archive::all(a, rows, line);
  if (a.left() != 0) throw RuntimeError("line state: bytes left over (not this scene's line)");
  if (pm_ && h5file >= 0) trace_ = std::make_unique<process::H5Trace>(hid_t(h5file), *pm_, &rows);
  else if (!rows.empty()) throw RuntimeError("line state: process series where this run writes none");
  run_ = std::make_unique<LineRun>(sim, pm_.get(), spec_, seed_, trace_.get(), &line);
}

std::string Session::save() {
  std::vector<int64_t> rows = trace_ ? trace_->sync() : std::vector<int64_t>{};
  std::string line = run_->save();
  process::archive::Save a;
  process::archive::all(a, rows, line);
  return std::move(a.bytes);
}

void Session::step(int n) { run_->step(n); }

void Session::end() {
  outcome_ = run_->finish();
  if (trace_) static_cast<process::H5Trace*>(trace_.get())->close();
}

void Session::write_h5(int64_t file) const {
  const process::Model empty;
  process::write_kpis_h5(hid_t(file), pm_ ? *pm_ : empty, outcome_, seed_);
  run_->write_h5(hid_t(file));
}

void Session::report(std::ostream& out, const std::string& kpis_json) const {
  const process::Model empty;
  const process::Model& pm = pm_ ? *pm_ : empty;
  if (pm_) process::print_kpi_table(pm, outcome_, out);
  print_line_kpis(spec_, model_, outcome_, out);
  const double phys = run_->physics_seconds(), coupling = run_->coupling_seconds();
  if (phys + coupling > 0) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "coupling          %.1f %% of the step time (physics %.3g s, coupling %.3g s wall)\n",
                  100.0 * coupling / (phys + coupling), phys, coupling);
    out << buf;
  }
  if (!kpis_json.empty()) {
    const std::string tmp = kpis_json + ".partial";
    std::ofstream f(tmp);
    f << process::kpis_json(pm, outcome_, seed_) << "\n";
    f.close();
    if (!f || std::rename(tmp.c_str(), kpis_json.c_str()) != 0) throw RuntimeError("cannot write " + kpis_json);
  }
}

}  // namespace werk::line
