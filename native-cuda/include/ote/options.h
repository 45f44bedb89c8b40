// Numeric options of the API's parameter structs, as callers name them: one table per struct holds each option's
// public name (the TypeScript option key), its range and the member it sets; the default is the member's
// initializer in the struct. Bindings look options up in the table and hand over the raw number, so a range is
// written once, here, and the error names the option:
//
//   BakeParams p;                                   // defaults
//   for (const auto& o : kBakeOptions)
//     if (caller_has(o.name)) if (Result r = set_option(p, o, value); !r) fail(r.message);
//     // "noiseThreshold must be in [0, 1], got 2"
#pragma once
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include <string>

#include "result.h"

namespace ote {

template <class S>
struct NumberOption {
  const char* name;  // public name, e.g. "noiseThreshold"
  double lo, hi;     // allowed range, inclusive unless `open`
  // Integer options refuse fractions ("must be an integer"); others are converted as C++ converts (a uint32_t
  // member truncates), as the bindings always did.
  bool integer;
  bool open;         // (lo, hi) instead of [lo, hi]
  uint32_t S::*u32;  // exactly one of u32 / f32 is set
  float S::*f32;
};

template <class S>
constexpr NumberOption<S> u32_option(const char* name, uint32_t S::*m, double lo, double hi, bool integer = false) {
  return {name, lo, hi, integer, false, m, nullptr};
}
template <class S>
constexpr NumberOption<S> f32_option(const char* name, float S::*m, double lo, double hi, bool open = false) {
  return {name, lo, hi, false, open, nullptr, m};
}

// Shortest exact-enough text of a number for messages: 2, 0.05, 1e+30, 4294967295.
inline std::string format_number(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// Sets s.<member> from `value` (NaN for a value that is not a number), or says why not, naming the option.
template <class S>
Result set_option(S& s, const NumberOption<S>& o, double value) {
  const bool in = o.open ? (value > o.lo && value < o.hi) : (value >= o.lo && value <= o.hi);
  if (!in || (o.integer && value != floor(value))) {
    const char* open = o.open ? "(" : "[";
    const char* close = o.open ? ")" : "]";
    return Result::invalid(std::string(o.name) + " must be " + (o.integer ? "an integer" : "a number") + " in " +
                           open + format_number(o.lo) + ", " + format_number(o.hi) + close + ", got " +
                           (value == value ? format_number(value) : std::string("not a number")));
  }
  if (o.u32) s.*(o.u32) = uint32_t(value);
  else s.*(o.f32) = float(value);
  return Result::ok();
}

}  // namespace ote
