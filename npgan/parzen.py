"""Parzen-window log-likelihood: the paper's evaluation of a generator.

Fit an isotropic Gaussian kernel density estimate to m generator samples mu_j (the
centres) and score held-out data x under it:

    p(x) = (1/m) sum_j N(x; mu_j, sigma^2 I)
    log p(x) = logsumexp_j(-|x - mu_j|^2 / (2 sigma^2)) - log m - (d/2) log(2 pi sigma^2)

The bandwidth sigma is chosen on validation data (``select_sigma``), and the mean test
log-likelihood with its standard error is reported (``parzen_protocol``), as in the
paper's ``parzen_ll.py``: 10,000 samples, sigma from ``logspace(-1, 0, 10)`` chosen on
1,000 validation images.

How it is computed (all in the active backend's array module):

* Distances by one matrix product per block. With h_j = |mu_j|^2 / 2 and
  u_ij = x_i . mu_j - h_j, the squared distance is d2_ij = |x_i|^2 - 2 u_ij. Appending a
  column of ones to x and the column -h to the centres makes u a single matrix product.
* The log-sum-exp is shifted by the row maximum of u, umax_i (the nearest centre):

      -d2_ij / (2 s^2) = -d2min_i / (2 s^2) + (u_ij - umax_i) / s^2,
      d2min_i = |x_i|^2 - 2 umax_i,

  so every exponent is <= 0, the nearest centre contributes exactly exp(0) = 1, and the
  same shifted block v = u - umax serves every candidate sigma (one multiply by 1/s^2,
  one exp and one row sum per sigma). d2min is clamped at 0: rounding can make it
  slightly negative for a point that equals a centre, which would give a positive
  exponent.
* Memory is bounded by ``chunk`` entries of the distance block whatever n and m are:
  rows of x and centres are both split, and the row sums are combined across centre
  blocks with the running-maximum rule of a streaming log-sum-exp.
"""

import json
import math
import os
import tempfile
import time

import numpy

from npgan.backend import get_backend, to_numpy

DEFAULT_SIGMAS = tuple(float(s) for s in numpy.logspace(-1, 0, 10))
DEFAULT_CHUNK = 1 << 22  # entries of one distance block: 16 MiB in float32
_SLICE = 1 << 17  # entries per elementwise pass, sized so a slice stays in a core's L2


def _check_inputs(x, samples, sigmas, chunk):
    if x.ndim != 2 or samples.ndim != 2:
        raise ValueError(
            f"x and samples must be 2-D (n, d) and (m, d); got shapes {x.shape} and {samples.shape}"
        )
    if x.shape[1] != samples.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} features per row but samples have {samples.shape[1]}; "
            "expected the same dimension d"
        )
    if x.shape[0] == 0 or samples.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(
            f"empty input: x has shape {x.shape}, samples {samples.shape}; expected at least "
            "one row, one centre and one feature"
        )
    if sigmas.ndim != 1 or sigmas.size == 0:
        raise ValueError(f"sigma must be a positive number or a 1-D array of them; got shape {sigmas.shape}")
    if not numpy.all(numpy.isfinite(sigmas) & (sigmas > 0)):
        raise ValueError(f"sigma must be positive and finite; got {sigmas.tolist()}")
    if int(chunk) < 1:
        raise ValueError(f"chunk must be a positive number of entries; got {chunk}")


def log_likelihood(x, samples, sigma, chunk=DEFAULT_CHUNK, dtype="float32"):
    """Log-likelihood of each row of ``x`` under the Parzen window of ``samples``.

    x: (n, d) data; samples: (m, d) centres; sigma: a positive number, or a 1-D array of
    k candidate bandwidths (all evaluated from the same distance blocks).
    chunk: most entries of the (rows x centres) distance block held at once; the extra
    memory is about ``chunk * itemsize`` plus the inputs.
    dtype: precision of the matrix products and exponentials ("float32"; "float64" for
    checks). Row sums are combined across blocks in float64.
    Returns float64 on the active backend: (n,) for a scalar sigma, (k, n) for an array.
    """
    xp = get_backend()
    scalar = numpy.ndim(to_numpy(sigma)) == 0
    sigmas = numpy.atleast_1d(numpy.asarray(to_numpy(sigma), dtype=numpy.float64))
    x, samples = xp.asarray(x), xp.asarray(samples)
    _check_inputs(x, samples, sigmas, chunk)
    n, d = x.shape
    m = samples.shape[0]

    x64 = x.astype(xp.float64)
    x_sq = (x64 * x64).sum(axis=1)  # |x_i|^2, (n,)
    # Augmented operands: [x, 1] . [mu, -h] = x . mu - |mu|^2 / 2 = u.
    xa = xp.concatenate([x.astype(dtype), xp.ones((n, 1), dtype=dtype)], axis=1)  # (n, d+1)
    mu64 = samples.astype(xp.float64)
    h = (0.5 * (mu64 * mu64).sum(axis=1)).astype(dtype)
    ma = xp.concatenate([samples.astype(dtype), -h[:, None]], axis=1)  # (m, d+1)
    del mu64, x64

    cols = min(m, int(chunk))  # centres per block
    rows = max(1, min(n, int(chunk) // cols))  # rows of x per block
    inv_s2 = [1.0 / (s * s) for s in sigmas]
    out = xp.empty((len(sigmas), n), dtype=xp.float64)
    for r0 in range(0, n, rows):
        umax, sums = _row_block(xp, xa[r0 : r0 + rows], ma, cols, inv_s2)
        # log p = -d2min / (2 s^2) + log S - log m - (d/2) log(2 pi s^2)
        d2min = xp.maximum(x_sq[r0 : r0 + rows] - 2.0 * umax, 0.0)
        for k, s in enumerate(sigmas):
            out[k, r0 : r0 + rows] = (
                -d2min * (0.5 * inv_s2[k]) + xp.log(sums[k]) - math.log(m) - 0.5 * d * math.log(2 * math.pi * s * s)
            )
    return out[0] if scalar else out


def _row_block(xp, xa, ma, cols, inv_s2):
    """Running max of u and the shifted sums S_k = sum_j exp((u_j - umax) / s_k^2) for a row block.

    xa: (r, d+1), ma: (m, d+1). Returns umax (r,) and sums (k, r), both float64.
    Across centre blocks: when the maximum rises from a to b, earlier sums are rescaled
    by exp((a - b) / s^2) so they stay relative to the current maximum.
    """
    r = xa.shape[0]
    umax = xp.full(r, -xp.inf, dtype=xp.float64)
    sums = xp.zeros((len(inv_s2), r), dtype=xp.float64)
    for c0 in range(0, ma.shape[0], cols):
        u = xa @ ma[c0 : c0 + cols].T  # (r, c): u_ij = x_i . mu_j - |mu_j|^2 / 2
        new_max = xp.maximum(umax, u.max(axis=1).astype(xp.float64))
        for k, c in enumerate(inv_s2):
            sums[k] *= xp.exp((umax - new_max) * c)  # exp(-inf) = 0 on the first block
        umax = new_max
        u -= new_max.astype(u.dtype)[:, None]  # v = u - umax <= 0 (up to the cast)
        _add_shifted_sums(xp, u, inv_s2, sums)
    return umax, sums


def _add_shifted_sums(xp, v, inv_s2, sums):
    """sums[k] += sum_j exp(v_ij * inv_s2[k]), in row slices that stay in cache.

    Each term is at most 1 and each row's largest is exactly 1 in the block that holds
    the maximum, so the float32 sum of c terms is >= 1 with relative rounding below
    ~log2(c) * 6e-8 (pairwise summation): about 1e-6 nats in log S at worst, well under
    the float32 rounding of the distances themselves. The sums then accumulate in float64.
    """
    r, c = v.shape
    step = max(1, _SLICE // c)
    buffer = xp.empty((min(step, r), c), dtype=v.dtype)
    for i0 in range(0, r, step):
        block = v[i0 : i0 + step]
        e = buffer[: block.shape[0]]
        for k, scale in enumerate(inv_s2):
            xp.multiply(block, scale, out=e)
            xp.exp(e, out=e)
            sums[k, i0 : i0 + step] += e.sum(axis=1)


def select_sigma(samples, valid, sigmas=None, chunk=DEFAULT_CHUNK, dtype="float32"):
    """The candidate bandwidth with the highest mean log-likelihood of ``valid``.

    samples: (m, d) centres; valid: (n, d). sigmas: default ``logspace(-1, 0, 10)``.
    Returns (best sigma as a float, host float64 array (k,) of mean log-likelihoods).
    """
    sigmas = numpy.asarray(DEFAULT_SIGMAS if sigmas is None else sigmas, dtype=numpy.float64)
    if sigmas.ndim != 1:
        raise ValueError(f"sigmas must be a 1-D list of candidates; got shape {sigmas.shape}")
    ll = to_numpy(log_likelihood(valid, samples, sigmas, chunk=chunk, dtype=dtype))  # (k, n)
    means = ll.mean(axis=1)
    return float(sigmas[int(numpy.argmax(means))]), means


def parzen_protocol(samples, valid, test, sigmas=None, n_valid=1000, chunk=DEFAULT_CHUNK, dtype="float32"):
    """The paper's protocol: choose sigma on ``valid[:n_valid]``, score all of ``test``.

    samples: (m, d) generator samples (10,000 in the paper); valid, test: (n, d).
    Returns a JSON-ready dict: sigma, sigmas, valid_ll (mean per candidate), test_ll
    (mean), test_se (std / sqrt(n), population std as in the original script),
    n_samples, n_valid, n_test, seconds.
    """
    start = time.perf_counter()
    valid = valid[:n_valid]
    sigma, valid_means = select_sigma(samples, valid, sigmas, chunk=chunk, dtype=dtype)
    test_ll = to_numpy(log_likelihood(test, samples, sigma, chunk=chunk, dtype=dtype))
    sigmas = numpy.asarray(DEFAULT_SIGMAS if sigmas is None else sigmas, dtype=numpy.float64)
    return {
        "sigma": sigma,
        "sigmas": [float(s) for s in sigmas],
        "valid_ll": [float(v) for v in valid_means],
        "test_ll": float(test_ll.mean()),
        "test_se": float(test_ll.std() / math.sqrt(len(test_ll))),
        "n_samples": int(samples.shape[0]),
        "n_valid": int(valid.shape[0]),
        "n_test": int(test_ll.shape[0]),
        "seconds": time.perf_counter() - start,
    }


def write_json(result, path):
    """Write ``result`` as JSON to ``path`` atomically (a temporary file, then a rename)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".parzen.", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(result, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
