// Reading stored pixels as the normalised display-referred signal the metrics compare (see PixelEncoding).
#pragma once
#include <math.h>
#include <stdint.h>

#include "../hd.h"
#include "metrics.h"

namespace ote {

OTE_HD OTE_INLINE float metrics_linear_to_srgb(float c) {
  c = fminf(fmaxf(c, 0.0f), 1.0f);
  return c <= 0.0031308f ? 12.92f * c : 1.055f * powf(c, 1.0f / 2.4f) - 0.055f;
}

// Stored value -> normalised signal. Integer formats divide in float, as NVIDIA's FLIP tool does for 8-bit input.
OTE_HD OTE_INLINE float metrics_normalise(float stored, float data_range, PixelEncoding enc) {
  return enc == PixelEncoding::LinearToSrgb ? metrics_linear_to_srgb(stored / data_range) : stored / data_range;
}

// BT.601 luma on the normalised signal, the grey image scikit-image users compute before SSIM.
OTE_HD OTE_INLINE float metrics_luma(float r, float g, float b) { return 0.299f * r + 0.587f * g + 0.114f * b; }

}  // namespace ote
