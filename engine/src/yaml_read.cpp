#include "yaml_read.h"

#include "werk_limits.h"

#include <yaml-cpp/depthguard.h>

#include <cmath>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace werk::yaml {

void fail(const Source& src, const YAML::Node& node, const std::string& message) {
  int line = 0, col = 0;
  if (node.IsDefined() || node.Mark().line >= 0) {
    const YAML::Mark m = node.Mark();
    if (m.line >= 0) {
      line = m.line + 1;
      col = m.column + 1;
    }
  }
  throw InputError(src.file, line, col, message);
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined()) return "nothing";
  switch (node.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "nothing";
  }
}

double as_number(const Source& src, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) fail(src, node, what + ": expected a number, found " + describe(node));
  const std::string& s = node.Scalar();
  // Accept YAML's spellings of infinity/NaN only to reject them clearly.
  if (s == ".inf" || s == "-.inf" || s == ".nan" || s == ".NaN" || s == ".Inf")
    fail(src, node, what + ": expected a finite number, found '" + s + "'");
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end == s.c_str() || *end != '\0')
    fail(src, node, what + ": expected a number, found '" + s + "'");
  if (!std::isfinite(v) || errno == ERANGE)
    fail(src, node, what + ": expected a finite number, found '" + s + "'");
  return v;
}

int64_t as_integer(const Source& src, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) fail(src, node, what + ": expected an integer, found " + describe(node));
  const std::string& s = node.Scalar();
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE)
    fail(src, node, what + ": expected an integer, found '" + s + "'");
  return v;
}

bool as_bool(const Source& src, const YAML::Node& node, const std::string& what) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  fail(src, node, what + ": expected true or false, found " + describe(node));
}

std::string as_string(const Source& src, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) fail(src, node, what + ": expected a string, found " + describe(node));
  return node.Scalar();
}

Vec3 as_vec3(const Source& src, const YAML::Node& node, const std::string& what) {
  if (!node.IsSequence() || node.size() != 3)
    fail(src, node, what + ": expected a list of 3 numbers [x, y, z], found " +
                        (node.IsSequence() ? "a list of " + std::to_string(node.size()) : describe(node)));
  Vec3 v;
  float* out[3] = {&v.x, &v.y, &v.z};
  for (int i = 0; i < 3; ++i) {
    const std::string name = what + "[" + std::to_string(i) + "]";
    double x = as_number(src, node[i], name);
    if (std::fabs(x) > 3.4e38)  // beyond single precision, where the engine computes
      fail(src, node[i], name + ": expected a number of magnitude at most 3.4e38, found '" + node[i].Scalar() + "'");
    *out[i] = float(x);
  }
  return v;
}

Quat as_rotation(const Source& src, const YAML::Node& node, const std::string& what) {
  if (node.IsSequence()) {
    if (node.size() != 4)
      fail(src, node, what + ": expected a quaternion [w, x, y, z], found a list of " + std::to_string(node.size()));
    double w = as_number(src, node[0], what), x = as_number(src, node[1], what),
           y = as_number(src, node[2], what), z = as_number(src, node[3], what);
    double n = std::sqrt(w * w + x * x + y * y + z * z);
    if (n < 1e-9) fail(src, node, what + ": expected a non-zero quaternion [w, x, y, z], found one of length 0");
    return {float(w / n), float(x / n), float(y / n), float(z / n)};
  }
  if (node.IsMap()) {
    MapReader m(src, node, what);
    Vec3 axis = m.vec3("axis");
    double angle = m.number("angle_deg");
    m.finish();
    if (length(axis) < 1e-9f) fail(src, node["axis"], what + ".axis: expected a non-zero axis, found [0, 0, 0]");
    return quat_axis_angle(normalize(axis), float(angle * M_PI / 180.0));
  }
  fail(src, node, what + ": expected a quaternion [w, x, y, z] or {axis: [x, y, z], angle_deg: a}, found " +
                      describe(node));
}

MapReader::MapReader(const Source& src, const YAML::Node& node, std::string what)
    : src_(src), node_(node), what_(std::move(what)) {
  if (!node.IsMap()) fail(src, node, (what_.empty() ? "document" : what_) + ": expected a map, found " + describe(node));
  std::set<std::string> present;
  for (auto it = node_.begin(); it != node_.end(); ++it)
    if (!present.insert(it->first.Scalar()).second)
      fail(src_, it->first, (what_.empty() ? "document" : what_) + ": duplicate key '" + it->first.Scalar() + "'");
}

bool MapReader::has(const std::string& key) const { return bool(node_[key]); }

YAML::Node MapReader::required(const std::string& key) {
  seen_.insert(key);
  YAML::Node n = node_[key];
  if (!n) fail(src_, node_, (what_.empty() ? "document" : what_) + ": missing required key '" + key + "'");
  return n;
}

YAML::Node MapReader::optional(const std::string& key) {
  seen_.insert(key);
  return node_[key];
}

double MapReader::number(const std::string& key, double fallback) {
  YAML::Node n = optional(key);
  return n ? as_number(src_, n, path(key)) : fallback;
}
double MapReader::number(const std::string& key) { return as_number(src_, required(key), path(key)); }

static std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

double MapReader::positive(const std::string& key, std::optional<double> fallback) {
  YAML::Node n = fallback ? optional(key) : required(key);
  if (!n) return *fallback;
  double v = as_number(src_, n, path(key));
  if (!(v > 0)) fail(src_, n, path(key) + ": expected a positive number, found " + fmt(v));
  return v;
}

double MapReader::non_negative(const std::string& key, std::optional<double> fallback) {
  YAML::Node n = fallback ? optional(key) : required(key);
  if (!n) return *fallback;
  double v = as_number(src_, n, path(key));
  if (v < 0) fail(src_, n, path(key) + ": expected a number >= 0, found " + fmt(v));
  return v;
}

double MapReader::in_range(const std::string& key, double lo, double hi, std::optional<double> fallback) {
  YAML::Node n = fallback ? optional(key) : required(key);
  if (!n) return *fallback;
  double v = as_number(src_, n, path(key));
  if (v < lo || v > hi)
    fail(src_, n, path(key) + ": expected a number in [" + fmt(lo) + ", " + fmt(hi) + "], found " + fmt(v));
  return v;
}

int64_t MapReader::integer(const std::string& key, int64_t fallback) {
  YAML::Node n = optional(key);
  return n ? as_integer(src_, n, path(key)) : fallback;
}

bool MapReader::boolean(const std::string& key, bool fallback) {
  YAML::Node n = optional(key);
  return n ? as_bool(src_, n, path(key)) : fallback;
}

std::string MapReader::string(const std::string& key) { return as_string(src_, required(key), path(key)); }
std::string MapReader::string(const std::string& key, const std::string& fallback) {
  YAML::Node n = optional(key);
  return n ? as_string(src_, n, path(key)) : fallback;
}

std::string MapReader::choice(const std::string& key, const std::vector<std::string>& choices,
                              std::optional<std::string> fallback) {
  YAML::Node n = fallback ? optional(key) : required(key);
  if (!n) return *fallback;
  std::string v = as_string(src_, n, path(key));
  for (const auto& c : choices)
    if (c == v) return v;
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) list += (i ? ", " : "") + choices[i];
  fail(src_, n, path(key) + ": expected one of " + list + ", found '" + v + "'");
}

Vec3 MapReader::vec3(const std::string& key, Vec3 fallback) {
  YAML::Node n = optional(key);
  return n ? as_vec3(src_, n, path(key)) : fallback;
}
Vec3 MapReader::vec3(const std::string& key) { return as_vec3(src_, required(key), path(key)); }

Quat MapReader::rotation(const std::string& key, Quat fallback) {
  YAML::Node n = optional(key);
  return n ? as_rotation(src_, n, path(key)) : fallback;
}

void MapReader::finish() {
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    std::string k = it->first.Scalar();
    if (seen_.count(k)) continue;
    std::string allowed;
    for (const auto& s : seen_) allowed += (allowed.empty() ? "" : ", ") + s;
    fail(src_, it->first, (what_.empty() ? "document" : what_) + ": unknown key '" + k + "' (expected one of: " +
                              allowed + ")");
  }
}

void check_text(const Source& src, const std::string& text, size_t from) {
  const size_t nul = text.find('\0', from);
  if (nul != std::string::npos)
    throw InputError(src.file, 0, 0, "expected a YAML text file, found a binary file (a zero byte at offset " +
                                         std::to_string(nul) + ")");
}

YAML::Node load_string(const Source& src, const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw InputError(src.file, e.mark.line + 1, e.mark.column + 1,
                     "expected YAML nested at most 2000 levels deep, found deeper nesting");
  } catch (const YAML::Exception& e) {
    throw InputError(src.file, e.mark.line + 1, e.mark.column + 1, "YAML syntax error: " + e.msg);
  }
}

std::string read_file(const Source& src, const std::string& what, int64_t limit) {
  std::error_code ec;
  if (std::filesystem::is_directory(src.file, ec)) throw InputError(src.file, 0, 0, "expected a " + what + ", found a folder");
  std::ifstream in(src.file, std::ios::binary);
  if (!in) throw InputError(src.file, 0, 0, "cannot open " + what + " (does it exist and is it readable?)");
  auto too_big = [&](const std::string& found) {
    return InputError(src.file, 0, 0, "expected a " + what + " of at most " + std::to_string(limit >> 20) + " MB, found " + found);
  };
  const auto size = std::filesystem::file_size(src.file, ec);
  if (!ec && int64_t(size) > limit) throw too_big(std::to_string(size >> 20) + " MB");
  // Read in blocks up to the limit: a pipe or a device may not end.
  std::string text;
  char block[65536];
  while (in.read(block, sizeof block) || in.gcount() > 0) {
    const size_t from = text.size();
    text.append(block, size_t(in.gcount()));
    check_text(src, text, from);
    if (int64_t(text.size()) > limit) throw too_big("more (a stream that goes on)");
  }
  return text;
}

YAML::Node load_file(const Source& src) {
  const std::string text = read_file(src, "scene file", limits::kSceneFileBytes);
  check_text(src, text);
  return load_string(src, text);
}

}  // namespace werk::yaml
