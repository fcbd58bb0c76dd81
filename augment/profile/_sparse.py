"""Thin regions inside a class: low-density pockets, rare category combinations, boundary rows."""

from __future__ import annotations

import math
import numbers
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state

from augment.data import DistanceEncoder, Schema, as_text, make_encoder
from augment.errors import ConfigError
from augment.profile._regions import Region

__all__ = ["METHODS", "SparseRegionFinder"]

METHODS = ("low_density", "rare_combination", "boundary")


def _round_between(values: np.ndarray, threshold: float) -> float:
    """The roundest number in ``(a, b]``, where ``a`` is the largest observed value at or
    below ``threshold`` and ``b`` the smallest above it: ``x <= threshold`` and
    ``x < result`` (likewise ``x > threshold`` and ``x >= result``) split the observed
    values alike."""
    values = values[np.isfinite(values)]
    below, above = values[values <= threshold], values[values > threshold]
    if not len(below) or not len(above):
        return threshold
    a, b = float(below.max()), float(above.min())
    for digits in range(-15, 16):
        step = 10.0 ** -digits
        candidate = round(math.floor(b / step) * step, max(digits, 0))
        if a < candidate <= b:
            return float(candidate)
    return b


class SparseRegionFinder(BaseEstimator):
    """Finds under-represented regions inside each class to grow.

    Three methods, each yielding regions described by a readable rule (class,
    category sets, numeric ranges) whose membership test works on new rows:

    - ``low_density``: rows whose distance to their ``n_neighbors``-th same-class
      neighbour (on :class:`~augment.data.DistanceEncoder` codes) is in the top
      ``1 - density_quantile`` share; a depth-2 tree then describes where those rows concentrate.
    - ``rare_combination``: pairs of categorical values that occur in a class at
      least ``min_rows`` times but in at most ``max_share`` of its rows.
    - ``boundary``: rows whose nearest neighbours in the whole table are mostly of
      other classes (the class is locally rare), described by a depth-2 tree.

    Targets: a region grows ``1 + growth`` times as much as its class does (a class
    going from 500 to 9,000 rows grows 18x; with ``growth=1`` its thin regions grow
    36x), so thin regions gain share. The rows added to all regions of a class are
    capped at ``cap`` times the rows the class gains, so sub-regions never take
    over the class target; they count towards it. ``max_regions_per_class=0``
    means classes only.

    Parameters
    ----------
    methods : sequence of {"low_density", "rare_combination", "boundary"}
    max_regions_per_class : int
        Regions kept per class (the most under-represented first).
    min_rows : int
        Fewest real rows in a region (a generator must have something to learn).
    max_share : float in (0, 1)
        Largest share of its class a region may hold (larger is not thin).
    growth : float > 0
        Extra growth of a region relative to its class's growth.
    cap : float in (0, 1]
        Largest share of a class's added rows that its sub-regions may take.
    n_neighbors : int
        Neighbours for the density and boundary measures.
    density_quantile : float in (0, 1)
        Rows beyond this quantile of neighbour distance count as low-density.
    max_rows : int
        Above this many rows, the neighbour-based methods (``low_density``,
        ``boundary``) run on a class-stratified sample of this many rows (classes
        that need rows are kept whole up to ``max_rows`` each). Their regions are
        rules, so counts, targets and membership still use every row; rare
        combinations are always counted on every row.
    random_state : int or None
    """

    def __init__(self, methods=METHODS, max_regions_per_class: int = 3, min_rows: int = 10,
                 max_share: float = 0.2, growth: float = 1.0, cap: float = 0.3,
                 n_neighbors: int = 10, density_quantile: float = 0.8, max_rows: int = 20_000,
                 random_state: int | None = None):
        self.methods = methods
        self.max_regions_per_class = max_regions_per_class
        self.min_rows = min_rows
        self.max_share = max_share
        self.growth = growth
        self.cap = cap
        self.n_neighbors = n_neighbors
        self.density_quantile = density_quantile
        self.max_rows = max_rows
        self.random_state = random_state

    def check_params(self) -> list[str]:
        problems = []
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown or not len(self.methods):
            problems.append(f"profile methods must be a non-empty subset of {list(METHODS)}; "
                            f"got {list(self.methods)}.")
        for name, low, high in (("max_share", 0, 1), ("cap", 0, 1), ("density_quantile", 0, 1)):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not low < value <= high:
                problems.append(f"profile {name} must be in ({low}, {high}]; got {value!r}.")
        for name in ("max_regions_per_class", "min_rows", "n_neighbors", "max_rows"):
            value, minimum = getattr(self, name), int(name != "max_regions_per_class")
            if not isinstance(value, int) or value < minimum:
                problems.append(f"profile {name} must be an integer >= {minimum}; got {value!r}.")
        if not isinstance(self.growth, (int, float)) or self.growth <= 0:
            problems.append(f"profile growth must be > 0; got {self.growth!r}.")
        return problems

    # -- public ----------------------------------------------------------------------------
    def find(self, table: pd.DataFrame, schema: Schema, class_regions: list[Region]
             ) -> list[Region]:
        """Sub-regions of the classes in ``class_regions`` (which carry the class targets)."""
        problems = self.check_params()
        if problems:
            raise ConfigError("; ".join(problems))
        if self.max_regions_per_class == 0:
            return []
        rng = check_random_state(self.random_state)
        full = table
        table = self._sample(table, schema, class_regions, rng)
        # rules are read from the raw values (median-filled); neighbours are found on the
        # distance codes every closeness measure in augment uses
        encoder = make_encoder(schema, "onehot").fit(table[schema.features])
        names = list(encoder.get_feature_names_out())
        raw = encoder.transform(table[schema.features]).astype(float)
        raw = np.where(np.isnan(raw), np.nanmedian(raw, axis=0), raw)
        scaled = DistanceEncoder(schema).fit_transform(table[schema.features])
        y = table[schema.target].to_numpy()
        # a neighbour stands for 1/(its class's sampling rate) rows of the whole table
        counts = full[schema.target].value_counts()
        rate = (table[schema.target].value_counts() / counts).reindex(counts.index)
        weight = (1.0 / rate.reindex(y).to_numpy(dtype=float))
        out: list[Region] = []
        for parent in class_regions:
            in_class = parent.contains(table).to_numpy()
            if in_class.sum() < 2 * self.min_rows:
                continue
            candidates: list[tuple[float, Region]] = []
            if "low_density" in self.methods:
                candidates += self._low_density(table, schema, parent, in_class, raw, scaled, names)
            if "boundary" in self.methods:
                candidates += self._boundary(table, schema, parent, in_class, raw, scaled, names,
                                             y, weight)
            if "rare_combination" in self.methods:
                in_full = in_class if full is table else parent.contains(full).to_numpy()
                candidates += self._rare_combinations(full, schema, parent, in_full)
            out += self._select(full, parent, candidates)
        return out

    def _sample(self, table, schema, class_regions, rng) -> pd.DataFrame:
        """At most ``max_rows`` rows: the classes being grown first (whole up to the
        limit), the remaining rows drawn uniformly; original order kept."""
        if len(table) <= self.max_rows:
            return table
        y = table[schema.target]
        pick: list[np.ndarray] = []
        room = self.max_rows
        for parent in sorted(class_regions, key=lambda r: r.count):
            rows = np.flatnonzero((y == parent.label).to_numpy())
            take = min(len(rows), max(room // 2, self.min_rows * 2), room)
            if take <= 0:
                break
            pick.append(rows if take >= len(rows) else rng.choice(rows, take, replace=False))
            room -= take
        chosen = np.concatenate(pick) if pick else np.array([], dtype=int)
        rest = np.setdiff1d(np.arange(len(table)), chosen)
        if room > 0 and len(rest):
            chosen = np.concatenate([chosen, rng.choice(rest, min(room, len(rest)),
                                                        replace=False)])
        return table.iloc[np.sort(chosen)]

    # -- methods ---------------------------------------------------------------------------
    def _low_density(self, table, schema, parent, in_class, raw, scaled, names):
        X = scaled[in_class]
        k = min(self.n_neighbors, len(X) - 1)
        distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
        kth = distances[:, -1]
        flagged = kth > np.quantile(kth, self.density_quantile)
        return self._describe(table, schema, parent, in_class, raw, names, flagged, "low_density")

    def _boundary(self, table, schema, parent, in_class, raw, scaled, names, y, weight):
        # ``table`` is already at most max_rows rows (see _sample): every row is a neighbour
        k = min(self.n_neighbors + 1, len(table))
        _, idx = NearestNeighbors(n_neighbors=k).fit(scaled).kneighbors(scaled[in_class])
        near = idx[:, 1:]
        same = ((y[near] == parent.label) * weight[near]).sum(axis=1) / weight[near].sum(axis=1)
        flagged = same < 0.5
        return self._describe(table, schema, parent, in_class, raw, names, flagged, "boundary")

    def _rare_combinations(self, table, schema, parent, in_class):
        rows = table[in_class]
        columns = [c for c in schema.categorical if rows[c].nunique() <= 30]
        n = len(rows)
        found = []
        for i, a in enumerate(columns):
            for b in columns[i + 1:]:
                pairs = pd.DataFrame({"a": as_text(rows[a]).iloc[:, 0],
                                      "b": as_text(rows[b]).iloc[:, 0]}).value_counts()
                for (va, vb), count in pairs.items():
                    if self.min_rows <= count <= self.max_share * n:
                        region = self._region(table, parent, "rare_combination",
                                              {a: [va], b: [vb]}, {})
                        found.append((count / n, region))
        found.sort(key=lambda item: item[0])
        return found[: self.max_regions_per_class]

    # -- helpers ---------------------------------------------------------------------------
    def _describe(self, table, schema, parent, in_class, raw, names, flagged, kind):
        """Leaves of a depth-2 tree where flagged rows dominate, as regions."""
        if flagged.sum() < self.min_rows or flagged.all():
            return []
        X = raw[in_class]
        seed = self.random_state if isinstance(self.random_state, numbers.Integral) else 0
        tree = DecisionTreeClassifier(max_depth=2, min_samples_leaf=self.min_rows,
                                      random_state=seed).fit(X, flagged)
        t = tree.tree_
        if t.node_count == 1:
            return []
        found = []
        leaves = tree.apply(X)
        for leaf in np.unique(leaves):
            share = flagged[leaves == leaf].mean()
            if share < 0.5:
                continue
            categories, ranges = self._path(tree, leaf, names, schema, table, X)
            if not categories and not ranges:
                continue
            region = self._region(table, parent, kind, categories, ranges)
            found.append((1 - share, region))
        return found

    @staticmethod
    def _path(tree, leaf, names, schema, table, X):
        """Conditions on the path to ``leaf`` as category sets and ``[low, high)`` ranges.

        A numeric threshold becomes the roundest number between the observed values
        (in ``X``, the rows the tree saw) on either side of it: the same rows fall on
        each side, and the rule reads ``ped >= 1.2``, not ``ped >= 1.184000015258789``.
        """
        t = tree.tree_
        parents = {}
        for node in range(t.node_count):
            for child, left in ((t.children_left[node], True), (t.children_right[node], False)):
                if child != -1:
                    parents[child] = (node, left)
        categories: dict[str, set] = {}
        ranges: dict[str, list] = {}
        node = leaf
        while node in parents:
            node, left = parents[node]
            name, threshold = names[t.feature[node]], float(t.threshold[node])
            if "=" not in name or name.split("=", 1)[0] not in schema.categorical:
                threshold = _round_between(X[:, t.feature[node]], threshold)
            if "=" in name and name.split("=", 1)[0] in schema.categorical:
                column, value = name.split("=", 1)
                # the whole table's categories (the schema's), not only a sample's
                every = pd.Series(list(schema.columns[column].categories), dtype=object)
                allowed = categories.setdefault(
                    column, set(as_text(table[column]).iloc[:, 0].unique())
                    | set(as_text(every).iloc[:, 0]))
                allowed &= ({value} if not left else allowed - {value})
            else:
                low, high = ranges.setdefault(name, [None, None])
                if left:  # x <= threshold; thresholds sit between observed values
                    ranges[name][1] = threshold if high is None else min(high, threshold)
                else:
                    ranges[name][0] = threshold if low is None else max(low, threshold)
        return ({c: sorted(v) for c, v in categories.items()},
                {c: tuple(v) for c, v in ranges.items()})

    def _region(self, table, parent, kind, categories, ranges) -> Region:
        probe = Region(id="", target_column=parent.target_column, label=parent.label,
                       description="", count=0, target=0, categories=categories, ranges=ranges)
        count = int(probe.contains(table).sum())
        return Region(
            id="", target_column=parent.target_column, label=parent.label,
            description=Region.describe(parent.target_column, parent.label, categories, ranges),
            count=count, target=count, categories=categories, ranges=ranges, kind=kind)

    def _select(self, table, parent, candidates) -> list[Region]:
        """Keep distinct, thin, learnable regions; give them ids and capped targets."""
        chosen: list[Region] = []
        seen: set[bytes] = set()
        class_count = parent.count
        for _, region in sorted(candidates, key=lambda item: item[0]):
            region = replace(region, count=int(region.contains(table).sum()))  # every row
            if not self.min_rows <= region.count <= self.max_share * class_count:
                continue
            key = np.packbits(region.contains(table).to_numpy()).tobytes()
            if key in seen:
                continue
            seen.add(key)
            chosen.append(region)
            if len(chosen) >= self.max_regions_per_class:
                break
        ratio = parent.target / max(parent.count, 1)  # how much the whole class grows
        wanted = [math.ceil(r.count * ratio * (1 + self.growth)) - r.count for r in chosen]
        budget = math.floor(self.cap * parent.needed)
        scale = min(1.0, budget / sum(wanted)) if sum(wanted) else 0.0
        out = []
        for i, (region, add) in enumerate(zip(chosen, wanted)):
            add = math.floor(add * scale)
            if add <= 0:
                continue
            out.append(Region(
                id=f"{parent.id}/{region.kind}-{i}", target_column=region.target_column,
                label=region.label, description=region.description, count=region.count,
                target=region.count + add, categories=region.categories, ranges=region.ranges,
                kind=region.kind))
        return out
