"""Nearest neighbours in Euclidean distance, for the paper's Figure 2."""

from npgan.backend import asarray, get_backend, to_numpy


def nearest_rows(queries, reference, chunk=2048):
    """Index into ``reference`` (m, d) of the nearest row to each of ``queries`` (n, d).

    ``|q - r|^2 = |q|^2 - 2 q.r + |r|^2``; ``|q|^2`` is the same for every candidate, so
    the argmin needs only ``|r|^2 - 2 q.r``: one matrix product per chunk of references.
    Returns a host integer array (n,).
    """
    q = asarray(queries, dtype="float32")

    def scores(r):
        return (r * r).sum(axis=1)[None, :] - 2 * (q @ r.T)  # (n, chunk)

    return chunked_argmin(scores, q.shape[0], reference, chunk)


def chunked_argmin(scores, n, reference, chunk):
    """Index into ``reference`` of the lowest score for each of ``n`` queries, as a host (n,) int64 array.

    ``scores(r)`` gives the (n, len(r)) scores of a float32 chunk ``r`` of reference rows;
    the chunks are scored one at a time, keeping each query's best so far, so memory is
    bounded by ``n * chunk`` whatever the reference's length (ties: the earliest row).
    """
    xp = get_backend()
    best_d = xp.full(n, xp.inf, dtype="float32")
    best_i = xp.zeros(n, dtype="int64")
    for start in range(0, len(reference), chunk):
        d = scores(asarray(reference[start:start + chunk], dtype="float32"))
        i = d.argmin(axis=1)
        di = xp.take_along_axis(d, i[:, None], axis=1)[:, 0]
        better = di < best_d
        best_d = xp.where(better, di, best_d)
        best_i = xp.where(better, i + start, best_i)
    return to_numpy(best_i)
