"""Nearest neighbours in Euclidean distance, for the paper's Figure 2."""

from npgan.backend import asarray, get_backend, to_numpy


def nearest_rows(queries, reference, chunk=2048):
    """Index into ``reference`` (m, d) of the nearest row to each of ``queries`` (n, d).

    ``|q - r|^2 = |q|^2 - 2 q.r + |r|^2``; ``|q|^2`` is the same for every candidate, so
    the argmin needs only ``|r|^2 - 2 q.r``: one matrix product per chunk of references.
    Returns a host integer array (n,).
    """
    xp = get_backend()
    q = asarray(queries, dtype="float32")
    best_d = xp.full(q.shape[0], xp.inf, dtype="float32")
    best_i = xp.zeros(q.shape[0], dtype="int64")
    for start in range(0, len(reference), chunk):
        r = asarray(reference[start:start + chunk], dtype="float32")
        d = (r * r).sum(axis=1)[None, :] - 2 * (q @ r.T)  # (n, chunk)
        i = d.argmin(axis=1)
        di = xp.take_along_axis(d, i[:, None], axis=1)[:, 0]
        better = di < best_d
        best_d = xp.where(better, di, best_d)
        best_i = xp.where(better, i + start, best_i)
    return to_numpy(best_i)
