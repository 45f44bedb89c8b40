#!/usr/bin/python3
"""Expected values for the metrics tests, from independent implementations (run with Debian's python3 and
python3-skimage: /usr/bin/python3 scripts/metrics-expected.py).

1. ../shared/metrics/expected.json (not in this repo; read-only): re-checks its PSNR and SSIM values against
   scikit-image here and prints the differences. Its FLIP values come from NVIDIA's FLIP tool v1.6 (per that
   folder's README); the tool is not installable from our registries, so they are checked, not regenerated.
2. ts-core/test/metrics/expected-extra.json (written): scikit-image PSNR / SSIM for synthetic pairs that the tests
   regenerate bit for bit from the same integer formulas (odd sizes, 16-bit, float), and MS-SSIM for the shared
   pairs from a float64 NumPy/SciPy implementation of Wang et al. 2003 written here (scikit-image has no MS-SSIM).
"""
import json
import os
import sys

import numpy as np
from scipy.ndimage import gaussian_filter
from skimage.io import imread
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
SHARED = os.environ.get('OTE_SHARED_METRICS', os.path.join(ROOT, '..', 'shared', 'metrics'))
OUT = os.path.join(ROOT, 'ts-core', 'test', 'metrics', 'expected-extra.json')


def ssim_kw(data_range):
    return dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=data_range)


def luma(img):
    return 0.299 * img[..., 0] + 0.587 * img[..., 1] + 0.114 * img[..., 2]


def metrics(ref, test, data_range):
    ref = ref.astype(np.float64)
    test = test.astype(np.float64)
    return {
        'psnr_db': float(peak_signal_noise_ratio(ref, test, data_range=data_range)),
        'ssim_rgb_mean': float(structural_similarity(ref, test, channel_axis=2, **ssim_kw(data_range))),
        'ssim_luma_bt601': float(structural_similarity(luma(ref), luma(test), **ssim_kw(data_range))),
    }


# --- MS-SSIM (Wang, Simoncelli, Bovik 2003), float64 --------------------------------------------------------------
WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]


def ssim_cs(a, b, data_range):
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    f = lambda x: gaussian_filter(x, sigma=1.5, truncate=3.5)
    ua, ub = f(a), f(b)
    va, vb, cov = f(a * a) - ua * ua, f(b * b) - ub * ub, f(a * b) - ua * ub
    cs = (2 * cov + c2) / (va + vb + c2)
    s = (2 * ua * ub + c1) / (ua * ua + ub * ub + c1) * cs
    crop = (slice(5, -5), slice(5, -5))  # valid region: the 11x11 window inside the image
    return float(s[crop].mean()), float(cs[crop].mean())


def halve(x):
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    x = x[:h, :w]
    return 0.25 * (x[0::2, 0::2] + x[0::2, 1::2] + x[1::2, 0::2] + x[1::2, 1::2])


def msssim(ref, test, data_range):
    a, b = luma(ref.astype(np.float64)), luma(test.astype(np.float64))
    result = 1.0
    for s, w in enumerate(WEIGHTS):
        ssim, cs = ssim_cs(a, b, data_range)
        result *= max(ssim if s == 4 else cs, 0.0) ** w
        a, b = halve(a), halve(b)
    return result


# --- synthetic pairs: the same integer formulas as ts-core/test/metrics/synthetic.ts ---------------------------
def synthetic8(w, h):
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing='ij')
    ref = (x * x * 3 + y * 7 + c * 50 + ((x * 13) ^ (y * 7))) % 256
    hsh = ((x * 73856093) ^ (y * 19349663) ^ (c * 83492791)) & 0xFFFF
    test = np.clip(ref + (hsh % 41) - 20, 0, 255)
    return ref.astype(np.int64), test.astype(np.int64)


def synthetic16(w, h):
    ref8, test8 = synthetic8(w, h)
    x = np.arange(w)[None, :, None]
    return np.minimum(ref8 * 257 + x % 200, 65535), np.minimum(test8 * 257 + (x * 3) % 200, 65535)


def rgb8(path):
    img = imread(path)
    return img[..., :3]


def main():
    status = 0
    shared = json.load(open(os.path.join(SHARED, 'expected.json')))
    ref = rgb8(os.path.join(SHARED, shared['reference']))
    extra = {'generated_by': 'scripts/metrics-expected.py', 'shared_msssim': {}, 'synthetic': {}}
    for name, e in shared['pairs'].items():
        test = rgb8(os.path.join(SHARED, e['test']))
        m = metrics(ref, test, 255)
        for k, v in m.items():
            d = v - e[k]
            print(f'{name:9s} {k:16s} skimage {v:.6f} stored {e[k]:.6f} diff {d:+.1e}')
            if abs(d) > 1e-6:
                status = 1
        extra['shared_msssim'][name] = round(msssim(ref, test, 255), 8)
    for name, (w, h, gen, rng) in {'odd8': (97, 61, synthetic8, 255), 'small8': (11, 11, synthetic8, 255),
                                   'ms8': (200, 180, synthetic8, 255), 'deep16': (64, 48, synthetic16, 65535)}.items():
        r, t = gen(w, h)
        m = metrics(r, t, rng)
        if min(w, h) >= 176:
            m['msssim'] = msssim(r, t, rng)
        extra['synthetic'][name] = {'width': w, 'height': h, 'data_range': rng, **{k: round(v, 8) for k, v in m.items()}}
    with open(OUT, 'w') as f:
        json.dump(extra, f, indent=2)
        f.write('\n')
    print(f'wrote {os.path.relpath(OUT, ROOT)}')
    return status


if __name__ == '__main__':
    sys.exit(main())
