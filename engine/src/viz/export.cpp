// `werk export --vtk`: a ParaView series of VTK XML files.
#include <vtkCellArray.h>
#include <vtkNew.h>
#include <vtkXMLDataElement.h>
#include <vtkXMLPolyDataWriter.h>
#include <vtkXMLUtilities.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tessellate.h"
#include "viz.h"
#include "werk/error.h"

namespace werk::viz {
namespace {

void write_vtp(vtkPolyData* pd, const std::string& path) {
  for (vtkCellArray* cells : {pd->GetVerts(), pd->GetLines(), pd->GetPolys(), pd->GetStrips()})
    if (cells) cells->ConvertTo32BitStorage();  // half the size of VTK's 64-bit ids
  vtkNew<vtkXMLPolyDataWriter> w;
  w->SetInputData(pd);
  w->SetFileName(path.c_str());
  w->SetDataModeToAppended();
  w->EncodeAppendedDataOff();
  w->SetCompressorTypeToZLib();
  w->SetIdTypeToInt32();
  if (w->Write() != 1) throw RuntimeError("cannot write '" + path + "'");
}

// An XML element tree written by VTK's XML utilities.
void write_xml(vtkXMLDataElement* root, const std::string& path) {
  std::ostringstream os;
  os << "<?xml version=\"1.0\"?>\n";
  vtkXMLUtilities::FlattenElement(root, os, nullptr, 1);
  std::ofstream out(path);
  out << os.str();
  if (!out) throw RuntimeError("cannot write '" + path + "'");
}

vtkSmartPointer<vtkXMLDataElement> vtk_file(const char* type, const char* version) {
  auto e = vtkSmartPointer<vtkXMLDataElement>::New();
  e->SetName("VTKFile");
  e->SetAttribute("type", type);
  e->SetAttribute("version", version);
  e->SetAttribute("byte_order", "LittleEndian");
  e->SetAttribute("header_type", "UInt64");
  return e;
}

}  // namespace

ExportStats export_vtk(const ResultFile& r, const ExportOptions& o) {
  namespace fs = std::filesystem;
  if (o.every < 1) throw InputError("command line", 0, 0, "--every: expected an integer >= 1, found " + std::to_string(o.every));
  if (r.nbody() == 0 || r.frames() == 0)
    throw InputError(r.path(), 0, 0, "expected recorded bodies to export, found none (a process-only result?)");
  std::error_code ec;
  fs::create_directories(o.dir, ec);
  if (!fs::is_directory(o.dir)) throw InputError("command line", 0, 0, "--vtk: expected a folder, cannot create '" + o.dir + "'");
  const std::string stem = r.scene_name;
  const Scene sc = tessellate_scene(r, 16);
  ExportStats st;
  std::vector<std::string> written;

  const std::string static_name = stem + "_static.vtp";
  write_vtp(frame_polydata(sc, r.poses(0), {DrawKind::Static, DrawKind::Belt}), (fs::path(o.dir) / static_name).string());
  written.push_back(static_name);

  auto pvd = vtk_file("Collection", "0.1");
  vtkNew<vtkXMLDataElement> collection;
  collection->SetName("Collection");
  pvd->AddNestedElement(collection);
  // A frame whose poses equal the last written one's (resting, sleeping
  // bodies) refers to that frame's files instead of writing new ones.
  ResultFile::Poses last;
  std::string last_vtm;
  auto same = [](const ResultFile::Poses& a, const ResultFile::Poses& b) {
    return a.active == b.active && a.position.size() == b.position.size() &&
           std::memcmp(a.position.data(), b.position.data(), a.position.size() * sizeof(Vec3)) == 0 &&
           std::memcmp(a.orientation.data(), b.orientation.data(), a.orientation.size() * sizeof(Quat)) == 0;
  };
  for (int64_t f = 0; f < r.frames(); f += o.every) {
    const double t = r.times()[size_t(f)];
    if (t < o.from - 1e-9 || t > o.to + 1e-9) continue;
    const ResultFile::Poses full = r.poses(f);
    ResultFile::Poses poses = full;
    // Static bodies never move: compare the moving ones only.
    for (int b = 0; b < r.nbody(); ++b)
      if (sc.kind[size_t(b)] == DrawKind::Static || sc.kind[size_t(b)] == DrawKind::Belt)
        poses.position[size_t(b)] = Vec3{0, 0, 0}, poses.orientation[size_t(b)] = Quat{1, 0, 0, 0};
    char buf[64];
    std::snprintf(buf, sizeof buf, "_%06lld", static_cast<long long>(f));
    std::string vtm = stem + buf + ".vtm";
    if (!last_vtm.empty() && same(poses, last)) {
      vtm = last_vtm;
    } else {
      const std::string moving = stem + buf + "_moving.vtp";
      write_vtp(frame_polydata(sc, full, {DrawKind::Dynamic, DrawKind::Kinematic}), (fs::path(o.dir) / moving).string());
      auto mb = vtk_file("vtkMultiBlockDataSet", "1.0");
      vtkNew<vtkXMLDataElement> set;
      set->SetName("vtkMultiBlockDataSet");
      const char* names[2] = {"static", "moving"};
      const std::string files[2] = {static_name, moving};
      for (int i = 0; i < 2; ++i) {
        vtkNew<vtkXMLDataElement> ds;
        ds->SetName("DataSet");
        ds->SetIntAttribute("index", i);
        ds->SetAttribute("name", names[i]);
        ds->SetAttribute("file", files[i].c_str());
        set->AddNestedElement(ds);
      }
      mb->AddNestedElement(set);
      write_xml(mb, (fs::path(o.dir) / vtm).string());
      written.push_back(moving), written.push_back(vtm);
      last = std::move(poses), last_vtm = vtm;
      ++st.distinct;
    }
    vtkNew<vtkXMLDataElement> ds;
    ds->SetName("DataSet");
    char ts[32];
    std::snprintf(ts, sizeof ts, "%.9g", t);
    ds->SetAttribute("timestep", ts);
    ds->SetAttribute("group", "");
    ds->SetIntAttribute("part", 0);
    ds->SetAttribute("file", vtm.c_str());
    collection->AddNestedElement(ds);
    ++st.frames;
  }
  if (st.frames == 0) throw InputError("command line", 0, 0, "--from/--to: expected a window holding a recorded frame, found none");
  st.pvd = (fs::path(o.dir) / (stem + ".pvd")).string();
  write_xml(pvd, st.pvd);
  written.push_back(stem + ".pvd");
  for (const auto& w : written) st.bytes += fs::file_size(fs::path(o.dir) / w, ec);
  return st;
}

}  // namespace werk::viz
