// Strict, friendly reading of YAML scene files.
//
// Every read names the file, line and column of the offending node, what
// was expected and what was found, so a user can fix a scene without
// guessing. A MapReader remembers which keys were read; finish() rejects
// any key that was not, which catches typos ("frction") that a lenient
// reader would silently ignore.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "werk/error.h"
#include "../../kernels/math.h"

namespace werk::yaml {

// Where a document came from; used for every error message.
struct Source {
  std::string file;
};

// Throws InputError located at `node`.
[[noreturn]] void fail(const Source& src, const YAML::Node& node, const std::string& message);

// A short description of what a node holds, for "found ..." messages.
std::string describe(const YAML::Node& node);

// Scalar conversions with strict type checks. `what` names the value in
// messages ("gravity", "materials.steel.density").
double as_number(const Source& src, const YAML::Node& node, const std::string& what);
int64_t as_integer(const Source& src, const YAML::Node& node, const std::string& what);
bool as_bool(const Source& src, const YAML::Node& node, const std::string& what);
std::string as_string(const Source& src, const YAML::Node& node, const std::string& what);
Vec3 as_vec3(const Source& src, const YAML::Node& node, const std::string& what);
// A rotation as a quaternion [w, x, y, z] (normalized; zero length is an
// error) or as {axis: [x, y, z], angle_deg: a}.
Quat as_rotation(const Source& src, const YAML::Node& node, const std::string& what);

class MapReader {
 public:
  // `what` names the map in messages ("bodies[3]", "materials.steel").
  MapReader(const Source& src, const YAML::Node& node, std::string what);

  bool has(const std::string& key) const;
  // The node for key, or fails with "missing required key".
  YAML::Node required(const std::string& key);
  // The node for key or an undefined node (check with IsDefined()).
  YAML::Node optional(const std::string& key);

  double number(const std::string& key, double fallback);
  double number(const std::string& key);  // required
  // Number that must satisfy lo <(=) v <(=) hi; messages state the range.
  double positive(const std::string& key, std::optional<double> fallback = std::nullopt);
  double non_negative(const std::string& key, std::optional<double> fallback = std::nullopt);
  double in_range(const std::string& key, double lo, double hi, std::optional<double> fallback = std::nullopt);
  int64_t integer(const std::string& key, int64_t fallback);
  bool boolean(const std::string& key, bool fallback);
  std::string string(const std::string& key);  // required
  std::string string(const std::string& key, const std::string& fallback);
  // One of `choices`; the message lists them.
  std::string choice(const std::string& key, const std::vector<std::string>& choices,
                     std::optional<std::string> fallback = std::nullopt);
  Vec3 vec3(const std::string& key, Vec3 fallback);
  Vec3 vec3(const std::string& key);  // required
  Quat rotation(const std::string& key, Quat fallback);

  // Rejects keys that were never read, naming the allowed ones.
  void finish();

  const YAML::Node& node() const { return node_; }
  const Source& source() const { return src_; }
  std::string path(const std::string& key) const { return what_.empty() ? key : what_ + "." + key; }

 private:
  const Source& src_;
  YAML::Node node_;
  std::string what_;
  std::set<std::string> seen_;
};

// Rejects what is not text (a zero byte: an HDF5 result, an image), looking
// from offset `from` on.
void check_text(const Source& src, const std::string& text, size_t from = 0);

// Reads the text file src.file whole, refusing a folder, a file that cannot
// be opened, a binary file (as check_text, block by block as it is read:
// /dev/zero is refused at once) and more than `limit` bytes (also from a
// pipe or a device, which have no size to check first). `what` names it in
// messages ("scene file").
std::string read_file(const Source& src, const std::string& what, int64_t limit);

// Loads a YAML file or text; a syntax error becomes an InputError with location.
YAML::Node load_file(const Source& src);
YAML::Node load_string(const Source& src, const std::string& text);

}  // namespace werk::yaml
