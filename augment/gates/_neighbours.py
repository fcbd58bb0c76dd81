"""Nearest-record distances: all pairs in bounded chunks, or exact within a radius (big tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.neighbors import KDTree

from augment.data import CATEGORY_WEIGHT

__all__ = ["CATEGORY_GAP", "RadiusIndex", "nearest_distance"]

#: On default (``numeric_scale="std"``) :class:`~augment.data.DistanceEncoder` codes two
#: rows that differ in a category are at least this far apart (one value unseen: 1; both
#: seen: ``sqrt(2)``); other scales pass their one-hot value as ``RadiusIndex(gap=...)``.
CATEGORY_GAP = CATEGORY_WEIGHT
_SLACK = 1e-6  # widens every window: the float sort key is not exact
#: At most this many distances in memory at once (256 MiB of float64).
_PAIRS_PER_CHUNK = 2**25


def nearest_distance(X: np.ndarray, reference: np.ndarray, *, own: np.ndarray | None = None,
                     chunk_rows: int = 2048) -> np.ndarray:
    """Euclidean distance from each row of ``X`` to its nearest row of ``reference``.

    ``own[i]``, when given, is the position of ``X[i]`` in ``reference``: that row does
    not count, but an identical other row does (distance 0).
    """
    ref_sq = np.einsum("ij,ij->i", reference, reference)
    out = np.empty(len(X))
    chunk_rows = max(1, min(chunk_rows, _PAIRS_PER_CHUNK // max(len(reference), 1)))
    for start in range(0, len(X), chunk_rows):
        block = X[start:start + chunk_rows]
        d2 = (np.einsum("ij,ij->i", block, block)[:, None] + ref_sq[None, :]
              - 2.0 * block @ reference.T)
        if own is not None:
            d2[np.arange(len(block)), own[start:start + len(block)]] = np.inf
        out[start:start + len(block)] = d2.min(axis=1) if d2.shape[1] else np.inf
    return np.sqrt(np.maximum(out, 0.0))


class RadiusIndex:
    """Distance from query rows to their nearest reference row, exact up to ``max_radius``.

    Works on :class:`~augment.data.DistanceEncoder` codes: a numeric block
    followed by ``onehot_width`` one-hot columns. Below ``gap`` (the one-hot value,
    :data:`CATEGORY_GAP` by default) only
    reference rows with exactly the same categories can be near a query row, so the
    reference is grouped by its categories and, inside a group, sorted by the
    projection of its numeric codes on their first principal direction. A
    projection differs by at most the distance, so every reference row within
    ``r`` of a query row lies in a contiguous window of that order; distances are
    computed for the rows of the window only. Radii grow from ``max_radius / 64``
    to ``max_radius`` (x4 per step), so a query row that has a close neighbour
    never scans a wide window. Memory stays bounded by ``max_pairs`` candidate
    pairs at a time. A query whose window holds more than ``wide_window`` rows and
    an eighth of its group is compared with the whole group at once (BLAS): on
    dense numeric tables with no categories to split them (where no projection
    prunes much), the cost is that of all pairs.

    A group of at least ``tree_rows`` rows is searched with a scikit-learn
    :class:`~sklearn.neighbors.KDTree` of its numeric codes instead. Measured by
    ``scripts/bench_radius_index.py`` (5,000 query rows near real rows plus the gate's
    real-to-real pass over 3,000 rows; build + both queries, best of two, seconds; one
    thread, CPython 3.11.7, x86_64 2-core VM shared with other jobs, 2026-12-01):

    =====================  ======  ======  ==========  ============  ======  ========
    table (columns)          rows  groups  this index  windows only  KDTree  BallTree
    =====================  ======  ======  ==========  ============  ======  ========
    lending_club (22)       1,000     961       0.029         0.028   0.878     0.914
    lending_club           10,000   5,015       0.064         0.066   2.392     1.066
    lending_club           50,000   7,361       0.207         0.207   4.129     4.197
    synthetic (10)         10,000      27       0.030         0.033   0.029     0.052
    synthetic (10)         50,000      32       0.290         0.520   0.230     0.318
    synthetic (30)         10,000   8,013       0.018         0.018   1.761     3.439
    synthetic (30)         50,000  18,840       0.193         0.184   7.259     9.263
    synthetic (22, 2 cat)  50,000       9       0.821         3.256   0.898     1.259
    =====================  ======  ======  ==========  ============  ======  ========

    A tree per group pays a Python call per group: where categories split the rows
    finely (the only case the distance gate uses this index below ``max_exact_rows``)
    the window search is 20-40x faster than a KDTree or BallTree per group; in a few
    large groups a KDTree is 2-4x faster than the windows. BallTree never beat
    KDTree. Hence windows for small groups and a KDTree for large ones.

    ``query`` returns ``inf`` for rows with no reference row within ``max_radius``.
    """

    def __init__(self, codes: np.ndarray, onehot_width: int, *, max_pairs: int = 1_000_000,
                 wide_window: int = 2048, tree_rows: int = 256, gap: float = CATEGORY_GAP):
        codes = np.asarray(codes, dtype=float)
        self.gap = float(gap)  # smallest distance between rows whose categories differ
        self.wide_window = int(wide_window)
        self.tree_rows = int(tree_rows)
        self.n_numeric = codes.shape[1] - int(onehot_width)
        self.max_pairs = int(max_pairs)
        keys = self._keys(codes)
        self.groups_ = pd.Index(pd.unique(keys))
        gid = self.groups_.get_indexer(keys)
        numeric = codes[:, : self.n_numeric]
        self.direction_ = self._direction(numeric)
        proj = numeric @ self.direction_
        self.offset_ = float(proj.min()) if len(proj) else 0.0
        # groups laid end to end on one line, far enough apart that no window crosses
        self.stride_ = float(np.ptp(proj)) + 2 * self.gap + 1.0 if len(proj) else 1.0
        line = gid * self.stride_ + (proj - self.offset_)
        self.order_ = np.argsort(line, kind="stable")
        self.line_ = line[self.order_]
        self.numeric_ = np.ascontiguousarray(numeric[self.order_])
        self.group_size_ = np.bincount(gid, minlength=len(self.groups_))
        self.trees_ = {}  # group -> (its reference positions, KDTree of their numeric codes)
        if self.n_numeric:
            for g in np.flatnonzero(self.group_size_ >= self.tree_rows):
                rows = np.flatnonzero(gid == g)
                self.trees_[int(g)] = (rows, KDTree(numeric[rows]))

    def _keys(self, codes: np.ndarray) -> np.ndarray:
        onehot = codes[:, self.n_numeric:] > 0
        packed = np.packbits(onehot, axis=1)
        return np.array([row.tobytes() for row in packed], dtype=object)

    @staticmethod
    def _direction(numeric: np.ndarray) -> np.ndarray:
        """Unit vector of largest spread (first principal axis of a sample)."""
        k = numeric.shape[1]
        sample = numeric[:: max(1, len(numeric) // 20_000)]
        if k == 0 or not np.any(sample - sample.mean(axis=0)):
            return np.eye(k)[0] if k else np.zeros(0)
        return PCA(n_components=1).fit(sample).components_[0]

    def query(self, codes: np.ndarray, max_radius: float, own: np.ndarray | None = None
              ) -> np.ndarray:
        """Nearest reference distance per row of ``codes`` (``inf`` beyond ``max_radius``).

        ``own[i]``, when given, is the reference position of query row ``i``: that row
        does not count, an identical other row does.
        """
        if not 0 < max_radius < self.gap:
            raise ValueError(f"max_radius must be in (0, {self.gap:.4f}); got {max_radius}")
        codes = np.asarray(codes, dtype=float)
        out = np.full(len(codes), np.inf)
        gid = self.groups_.get_indexer(self._keys(codes)) if len(codes) else np.zeros(0, int)
        numeric = codes[:, : self.n_numeric]
        if self.n_numeric == 0:  # categories only: distance 0 to any other row of the group
            size = np.where(gid >= 0, self.group_size_[np.maximum(gid, 0)], 0)
            out[size > (1 if own is not None else 0)] = 0.0
            return out
        # a projection beyond the reference's span by more than CATEGORY_GAP has no
        # candidate within max_radius; clipping keeps its window inside its own group
        proj = np.clip(numeric @ self.direction_ - self.offset_, -self.gap,
                       self.stride_ - 1.0 - self.gap)
        line = gid * self.stride_ + proj
        todo = np.flatnonzero(gid >= 0)
        in_tree = np.isin(gid[todo], list(self.trees_))
        if in_tree.any():
            self._tree_nearest(gid, numeric, todo[in_tree], own, max_radius, out)
            todo = todo[~in_tree]
        for radius in max_radius / 4.0 ** np.arange(3, -1, -1):
            if not len(todo):
                break
            lo = np.searchsorted(self.line_, line[todo] - radius - _SLACK, side="left")
            hi = np.searchsorted(self.line_, line[todo] + radius + _SLACK, side="right")
            # a window holding much of its group: all pairs of the group (BLAS) is cheaper
            wide = (hi - lo) > np.maximum(self.wide_window, self.group_size_[gid[todo]] // 8)
            if wide.any():
                d = self._group_nearest(gid, numeric, todo[wide], own)
                out[todo[wide]] = np.where(d <= max_radius, d, np.inf)
            narrow = ~wide
            best = self._window_min(lo[narrow], hi[narrow], numeric[todo[narrow]],
                                    None if own is None else own[todo[narrow]])
            found = best <= radius * radius
            out[todo[narrow][found]] = np.sqrt(best[found])
            todo = todo[narrow][~found]
        return out

    def _tree_nearest(self, gid, numeric, rows, own, max_radius, out) -> None:
        """Nearest distance (within ``max_radius``) of ``rows`` whose group has a KDTree."""
        for g in np.unique(gid[rows]):
            mine = rows[gid[rows] == g]
            positions, tree = self.trees_[int(g)]
            dist, idx = tree.query(numeric[mine], k=1 if own is None else 2)
            d = dist[:, 0]
            if own is not None:  # skip the row itself; an identical other row still counts
                d = np.where(positions[idx[:, 0]] == own[mine], dist[:, 1], d)
            out[mine] = np.where(d <= max_radius, d, np.inf)

    def _group_nearest(self, gid, numeric, rows, own) -> np.ndarray:
        """Exact nearest distance of ``rows`` to every reference row of their group."""
        out = np.full(len(rows), np.inf)
        if own is not None:
            position = np.empty(len(self.order_), dtype=int)
            position[self.order_] = np.arange(len(self.order_))
        for g in np.unique(gid[rows]):
            mine = np.flatnonzero(gid[rows] == g)
            start = np.searchsorted(self.line_, g * self.stride_ - self.gap, side="left")
            stop = np.searchsorted(self.line_, (g + 1) * self.stride_ - 1.0, side="left")
            mine_own = None if own is None else position[own[rows[mine]]] - start
            out[mine] = nearest_distance(numeric[rows[mine]], self.numeric_[start:stop],
                                         own=mine_own)
        return out

    def _window_min(self, lo, hi, numeric, own) -> np.ndarray:
        """Smallest squared distance to the reference rows ``lo:hi`` of each query."""
        counts = hi - lo
        best = np.full(len(lo), np.inf)
        ends = np.cumsum(counts)
        start = 0
        while start < len(lo):
            # queries start..stop hold at most max_pairs pairs (at least one query)
            limit = (ends[start - 1] if start else 0) + self.max_pairs
            stop = max(start + 1, int(np.searchsorted(ends, limit, side="right")))
            c = counts[start:stop]
            total = int(c.sum())
            if total:
                q = np.repeat(np.arange(start, stop), c)
                first = np.concatenate([[0], np.cumsum(c)[:-1]])
                r = np.arange(total) + np.repeat(lo[start:stop] - first, c)
                diff = numeric[q] - self.numeric_[r]
                d2 = np.einsum("ij,ij->i", diff, diff)
                if own is not None:
                    d2[self.order_[r] == own[q]] = np.inf
                nonempty = c > 0
                best[start:stop][nonempty] = np.minimum.reduceat(d2, first[nonempty])
            start = stop
        return best
