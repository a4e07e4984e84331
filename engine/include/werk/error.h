// Errors the engine reports to its users.
//
// InputError is bad input (a scene file, a command-line value): it carries
// the file, line and column and a message that names what was expected and
// what was found. The CLI turns it into exit status 2. RuntimeError is a
// failure while running (a device that vanished, a file that cannot be
// written): exit status 1.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

#include "werk/export.h"

namespace werk {

class WERK_API InputError : public std::runtime_error {
 public:
  // line and column are 1-based; 0 means unknown (the whole file).
  InputError(std::string file, int line, int column, const std::string& message)
      : std::runtime_error(format(file, line, column, message)),
        file_(std::move(file)), line_(line), column_(column), message_(message) {}

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  // The message without the location prefix.
  const std::string& message() const { return message_; }

 private:
  static std::string format(const std::string& file, int line, int column, const std::string& m) {
    if (line <= 0) return file + ": " + m;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + m;
  }
  std::string file_;
  int line_, column_;
  std::string message_;
};

// An unknown body, conveyor or joint name in a lookup.
class WERK_API NameError : public InputError {
 public:
  using InputError::InputError;
};

class WERK_API RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace werk
