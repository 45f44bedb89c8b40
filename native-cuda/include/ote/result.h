// A Status with the message that says what was wrong, naming the field as callers spell it:
//
//   Result r = set_option(params, option, 2.0);  // !r, r.message == "noiseThreshold must be in [0, 1], got 2"
//
// Validation in the C++ API returns one, so that bindings forward its message instead of repeating the check to
// produce one. Host code only (drivers keep returning the bare Status: a kernel has no field names to report).
#pragma once
#include <string>
#include <utility>

#include "job_control.h"

namespace ote {

struct Result {
  Status status = Status::Ok;
  std::string message;  // empty when ok; otherwise "<field> <what is wrong>", without the caller's prefix

  explicit operator bool() const { return status == Status::Ok; }
  static Result ok() { return {}; }
  static Result invalid(std::string message) { return {Status::InvalidArgument, std::move(message)}; }
  // The same failure one level down a path: "metallic ..." becomes "materials[3].metallic ...".
  Result within(const std::string& prefix) const {
    return *this ? *this : Result{status, prefix + "." + message};
  }
};

}  // namespace ote
