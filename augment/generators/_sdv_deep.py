"""SDV CTGAN, CopulaGAN and TVAE, trained once on the whole table and aimed at one region at a time.

How a region is aimed at (``targeting="condition"``, the default):

- Training-time conditioning. When sub-class regions are fitted, the training
  table gains a discrete column ``__region__`` holding, for every real row, the
  id of the smallest fitted sub-class region it belongs to (``"__other__"``
  otherwise). The target column is discrete too.
- CTGAN / CopulaGAN sample through the model's own conditional vector: a class
  region conditions on ``target == label``, a sub-class region on
  ``__region__ == id``. During training the conditional vector is put on those two
  columns for a share ``focus`` of every batch (ctgan spreads it over all discrete
  columns, so the region column would be trained on ~1/k of the steps), and
  ctgan's 0.12 bug that writes a sampling condition into the wrong slots is fixed
  (see :mod:`augment.generators._deep_models`).
- TVAE has no conditional input; its encoder maps the region's real rows to
  latent posteriors, and rows are decoded from ``z = mu_i + temperature * std_i *
  eps`` around a random real row ``i`` of the region.
- Per-region fine-tuning (``finetune_steps`` > 0): the first time a region is
  sampled, a copy of the trained model is trained further on that region's real
  rows only (CTGAN / CopulaGAN: generator and discriminator, the conditional
  vector fixed to the region, fresh optimizers at ``finetune_lr``; TVAE: encoder
  and decoder). The copy is cached per region and samples it from then on; it is
  seeded by the fit's seed and the region id, so the same seed and thread count
  give the same copy whatever the order regions are sampled in. Its cost is
  recorded in ``acceptance_[id]["finetune"]``.
- Constrained decoding (``constrain``): the discrete columns a region pins
  (``region.categories``, and the target) are decoded among the region's values
  only: the other categories' scores are masked before the model's choice (CTGAN:
  the Gumbel-softmax draw, i.e. the model's probabilities renormalised over the
  allowed categories; TVAE: the argmax is taken over them). Those columns are
  inside the region by construction; every other column still comes from the
  model. Numeric ranges are never clipped.
- Mode masking (``mask_modes``, with ``constrain``): a continuous column is
  decoded as a value mode (a component of ctgan's per-column Gaussian mixture)
  plus a scalar within it. For each numeric range a region pins, the real values
  of the whole table are split by the mode they were assigned at fit time; the
  fewest modes (highest share of in-range values first) that hold
  ``MODE_COVERAGE`` of the real values inside the range are kept, and the others
  are masked like a disallowed category (the model's mode probabilities
  renormalised over the kept ones). The scalar is left alone: values
  are still not clipped, and rows outside the range are rejected. When no mode
  reaches a range the column is decoded unmasked and ``how`` says so.
- Every row is then checked with ``region.contains`` after its target is set to
  the region's class (the labeler, not the generator, decides labels); rows
  outside the region are rejected, and sampling continues within a budget of
  ``max_tries * n`` generated rows (fewer rows come back when it is spent, and
  ``acceptance_[id]["shortfall"]`` says why). ``acceptance_`` records, per region,
  rows requested, generated and accepted, and in ``how`` every step above that was
  taken.

``targeting="rejection"`` samples the unconditioned model and keeps rows whose
generated values (target included) fall in the region: SDV's own path for these
models, kept as the baseline the benchmark compares against.
"""

from __future__ import annotations

import contextlib
import math
import random
import sys
import time
import warnings
import zlib

import numpy as np
import pandas as pd

from augment.errors import GenerationError
from augment.generators._dcr import DCR_TARGET
from augment.generators._sdv_metadata import TABLE, sdv_metadata
from augment.generators.base import BaseGenerator
from augment.profile import Region

__all__ = ["REGION_COLUMN", "CTGANGenerator", "CopulaGANGenerator", "TVAEGenerator"]

#: Name of the discrete region column added to the training table.
REGION_COLUMN = "__region__"
OTHER = "__other__"
TARGETING = ("condition", "rejection")
_MAX_BATCH = 50_000
#: Default fine-tuning steps per region (docs/bench_targeting.md measures the choice).
FINETUNE_STEPS = 100
#: Mode masking keeps the value modes that hold this share of the real values inside a
#: numeric range; the masked ones hold the rest (docs/bench_targeting.md).
MODE_COVERAGE = 0.99


@contextlib.contextmanager
def torch_context(seed: int | None, n_threads: int | None):
    """Seed python, numpy and torch (CPU and CUDA); restore the random states on exit (CUDA's
    generators when CUDA was already in use on entry). An explicit ``n_threads`` pins the
    block through the one thread context (:func:`augment._threads.thread_limit`, torch
    included; restored on exit); ``None`` leaves threads to the caller's limit (the
    Augmenter's ``threads``)."""
    import torch

    from augment._threads import thread_limit

    py_state, np_state, torch_state = random.getstate(), np.random.get_state(), \
        torch.get_rng_state()
    cuda_state = (torch.cuda.get_rng_state_all() if torch.cuda.is_available()
                  and torch.cuda.is_initialized() else None)
    if seed is not None:
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
    try:
        with thread_limit(None if n_threads is None else int(n_threads)):
            yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch.set_rng_state(torch_state)
        if cuda_state is not None:
            torch.cuda.set_rng_state_all(cuda_state)


def _positive_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


class _DeepGenerator(BaseGenerator):
    """Shared fitting, sampling, budgeting and reporting of the SDV deep pathways."""

    moves_to_dcr = True

    kind = "ctgan"

    @property
    def min_class_rows(self) -> int:  # type: ignore[override]
        return int(self.min_region_rows) if _positive_int(self.min_region_rows) else 1

    def check_params(self) -> list[str]:
        problems = super().check_params()
        name = self.name
        for key in ("epochs", "batch_size", "min_region_rows", "max_tries"):
            if not _positive_int(getattr(self, key)):
                problems.append(f"{name} {key} must be an integer >= 1; got "
                                f"{getattr(self, key)!r}.")
        if _positive_int(self.batch_size) and self.batch_size % 2:
            problems.append(f"{name} batch_size must be even; got {self.batch_size}.")
        if self.max_seconds is not None and not (
                isinstance(self.max_seconds, (int, float)) and self.max_seconds > 0):
            problems.append(f"{name} max_seconds must be a number > 0 or null; got "
                            f"{self.max_seconds!r}.")
        if self.n_threads is not None and not _positive_int(self.n_threads):
            problems.append(f"{name} n_threads must be an integer >= 1 or null; got "
                            f"{self.n_threads!r}.")
        if self.targeting not in TARGETING:
            problems.append(f"{name} targeting must be one of {list(TARGETING)}; got "
                            f"{self.targeting!r}.")
        if not (_positive_int(self.finetune_steps) or (
                isinstance(self.finetune_steps, (int, np.integer))
                and not isinstance(self.finetune_steps, bool) and self.finetune_steps == 0)):
            problems.append(f"{name} finetune_steps must be an integer >= 0 (0 = no "
                            f"fine-tuning); got {self.finetune_steps!r}.")
        if isinstance(self.finetune_lr, bool) or not (
                isinstance(self.finetune_lr, (int, float)) and self.finetune_lr > 0):
            problems.append(f"{name} finetune_lr must be a number > 0; got "
                            f"{self.finetune_lr!r}.")
        if not isinstance(self.constrain, bool):
            problems.append(f"{name} constrain must be true or false; got {self.constrain!r}.")
        if not isinstance(self.mask_modes, bool):
            problems.append(f"{name} mask_modes must be true or false; got "
                            f"{self.mask_modes!r}.")
        return problems

    # -- fitting ---------------------------------------------------------------------

    def _synth_kwargs(self) -> dict:
        raise NotImplementedError

    def _hooks(self) -> dict:
        return {}

    def _region_values(self, table: pd.DataFrame) -> pd.Series | None:
        """Per real row: the smallest fitted sub-class region holding it, else ``OTHER``."""
        sub = [r for r in self.regions_.values() if r.categories or r.ranges]
        if not sub:
            return None
        values = pd.Series(OTHER, index=table.index, dtype=object)
        size = pd.Series(np.inf, index=table.index)
        for region in sub:
            mask = region.contains(table) & (size > region.count)
            values[mask], size[mask] = region.id, region.count
        return values

    def _on_epoch(self, model, losses: pd.DataFrame) -> None:
        from augment.generators._deep_models import StopTraining

        epoch = int(losses["Epoch"].iloc[-1]) + 1
        self._bar.update(epoch - self._bar.n)
        self.epochs_run_ = epoch
        if self.max_seconds is not None and epoch < self.epochs and (
                time.perf_counter() - self._fit_start > self.max_seconds):
            self.stopped_early_ = (f"time budget max_seconds={self.max_seconds} spent after "
                                   f"{epoch} of {self.epochs} epochs")
            raise StopTraining

    def _fit(self, table: pd.DataFrame) -> None:
        from tqdm.auto import tqdm

        from augment.generators._deep_models import make_synthesizer

        frame = table.copy()
        for column in frame.columns:  # SDV's ctgan / tvae refuse pandas' category dtype
            if isinstance(frame[column].dtype, pd.CategoricalDtype):
                frame[column] = frame[column].astype(object)
        region_values = self._region_values(frame)
        metadata = sdv_metadata(self.schema_, with_target=True)
        if region_values is not None:
            frame[REGION_COLUMN] = region_values
            metadata.add_column(REGION_COLUMN, table_name=TABLE, sdtype="categorical")
        self.region_values_ = (sorted(set(region_values)) if region_values is not None else [])
        seed = int(self._rng.randint(np.iinfo(np.int32).max))
        self._fit_seed = seed
        self.epochs_run_, self.stopped_early_ = 0, None
        self._bar = tqdm(total=int(self.epochs), desc=f"{self.name} epochs", unit="epoch",
                         disable=not self.progress, file=sys.stderr, leave=False)
        self._fit_start = time.perf_counter()
        hooks = {"epoch_callback": self._on_epoch, "model_seed": seed, **self._hooks()}
        try:
            with torch_context(seed, self.n_threads), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.threads_ = sys.modules["torch"].get_num_threads()  # what fit ran with
                synth = make_synthesizer(
                    self.kind, metadata, hooks=hooks, enable_gpu=bool(self.enable_gpu),
                    epochs=int(self.epochs), batch_size=int(self.batch_size),
                    **self._synth_kwargs())
                synth.fit({TABLE: frame})
        finally:
            self._bar.close()
            del self._bar
        self.fit_seconds_ = round(time.perf_counter() - self._fit_start, 3)
        self.device_ = str(synth._model._device)
        self.synthesizer_ = synth
        self.loss_curve_ = self._loss_curve(synth._model.loss_values)
        masks = {r.id: r.contains(table).to_numpy() for r in self.regions_.values()}
        self.prevalence_ = {rid: float(mask.mean()) for rid, mask in masks.items()}
        self.acceptance_ = {}
        if len(synth._model._train_matrix) != len(table):
            raise GenerationError(
                f"{self.name}: SDV's preprocessing changed the number of rows; regions cannot "
                "be located in the training data.")
        self._mode_share = self._mode_shares(synth._model, table)
        self._keep_region_rows(synth._model, masks)
        self._aimed = {}

    def _keep_region_rows(self, model, masks: dict) -> None:
        """Keep only the rows of the fitted regions in the model's training matrix (float32).

        Fine-tuning and TVAE's latent codes read region rows from that matrix by
        position; the rest of the table is dropped so a fitted generator does not hold
        (and pickle) a second copy of the whole transformed table.
        """
        matrix = model._train_matrix
        if len(matrix) != len(next(iter(masks.values()), matrix)):
            raise GenerationError(
                f"{self.name}: SDV's preprocessing changed the number of rows; regions cannot "
                "be located in the training data.")
        union = np.logical_or.reduce([*masks.values(), np.zeros(len(matrix), dtype=bool)])
        positions = np.flatnonzero(union)
        model._train_matrix = np.asarray(matrix[positions], dtype="float32")
        lookup = np.full(len(matrix), -1)
        lookup[positions] = np.arange(len(positions))
        self._region_rows = {rid: lookup[np.flatnonzero(mask)] for rid, mask in masks.items()}

    def _mode_shares(self, model, table: pd.DataFrame) -> dict:
        """Per fitted region with numeric ranges: :func:`mode_shares` of each range's column
        (read from the whole training matrix, before :meth:`_keep_region_rows` trims it)."""
        from augment.generators._deep_models import mode_shares

        out = {}
        for region in self.regions_.values():
            inside = {}
            for column, (low, high) in region.ranges.items():
                x = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
                flags = np.ones(len(x), dtype=bool)
                with np.errstate(invalid="ignore"):  # as Region.contains
                    if low is not None:
                        flags &= x >= low
                    if high is not None:
                        flags &= x < high
                inside[column] = flags
            if inside:
                out[region.id] = mode_shares(model._coder(), model._train_matrix, inside)
        return out

    def _modes(self, region: Region) -> dict | None:
        """Value modes kept for ``region``'s numeric ranges (None: no mode masking)."""
        if not (self.mask_modes and region.ranges):
            return None
        from augment.generators._deep_models import modes_to_keep

        shares = getattr(self, "_mode_share", {}).get(region.id, {})
        return {column: modes_to_keep(share, weight, MODE_COVERAGE)
                for column, (share, weight) in shares.items()}

    @staticmethod
    def _loss_curve(losses: pd.DataFrame | None) -> pd.DataFrame:
        if losses is None or len(losses) == 0:
            return pd.DataFrame(columns=["epoch"])
        names = {"Epoch": "epoch", "Generator Loss": "generator_loss",
                 "Discriminator Loss": "discriminator_loss", "Loss": "loss"}
        cols = [c for c in names if c in losses.columns]
        curve = losses[cols].rename(columns=names)
        curve = curve.astype(float).groupby("epoch", as_index=False).mean()
        curve["epoch"] = curve["epoch"].astype(int) + 1
        return curve

    # -- sampling --------------------------------------------------------------------

    def _aim(self, model, region: Region) -> str:
        """Point the model at ``region``; return a description of how."""
        raise NotImplementedError

    def _release(self, model) -> None:
        raise NotImplementedError

    def _finetune(self, model, region: Region, rows: np.ndarray, batch: int):
        raise NotImplementedError

    def _finetune_batch(self, n_rows: int) -> int:
        return min(int(self.batch_size), max(100, n_rows))

    def _model_for(self, region: Region):
        """The model that samples ``region``: a fine-tuned copy (made once, cached) or the
        trained model itself; plus what fine-tuning did (None when it did not run)."""
        if region.id not in self._aimed:
            model, info = self.synthesizer_._model, None
            rows = self._region_rows[region.id]
            if self.finetune_steps and len(rows):
                # seeded by the fit's seed and the region id: the same copy whatever the
                # order in which regions are first sampled
                seed = (self._fit_seed + zlib.crc32(region.id.encode())) % 2**31
                batch = self._finetune_batch(len(rows))
                start = time.perf_counter()
                with torch_context(seed, self.n_threads), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = self._finetune(model, region, rows, batch)
                info = {"steps": int(self.finetune_steps), "rows": len(rows), "batch": batch,
                        "lr": self.finetune_lr,
                        "seconds": round(time.perf_counter() - start, 3)}
            self._aimed[region.id] = (model, info, rows)
        return self._aimed[region.id]

    def _how(self, model, region: Region, info: dict | None) -> str:
        """Aim ``model`` at ``region`` (conditioning, constrained decoding); say how."""
        parts = []
        if info is not None:
            parts.append(f"fine-tuned copy ({info['steps']} steps, batch {info['batch']}, lr "
                         f"{info['lr']:g}, on the region's {info['rows']} real rows, "
                         f"{info['seconds']:.1f} s)")
        parts.append(self._aim(model, region))
        if self.constrain:
            allowed = {self.schema_.target: {region.label}, **region.categories}
            notes = model.constrain(allowed, self._modes(region))
            if notes:
                parts.append("constrained decoding: " + "; ".join(notes))
        if region.ranges:
            parts.append("rejection outside " + ", ".join(region.ranges) + " ranges")
        return " + ".join(parts)

    def _draw(self, k: int) -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = self.synthesizer_.sample(k)[TABLE]
        return rows.drop(columns=[REGION_COLUMN], errors="ignore")

    def _sample(self, n: int, region: Region, seed: int) -> pd.DataFrame:
        synth = self.synthesizer_
        stats = self.acceptance_.setdefault(region.id, {
            "requested": 0, "delivered": 0, "generated": 0, "accepted": 0, "rate": None,
            "how": None})
        budget = max(int(self.max_tries) * n, 1000)
        aimed = self.targeting == "condition"
        if stats["generated"]:
            rate = stats["accepted"] / stats["generated"]
        elif aimed and self.constrain and not region.ranges:
            rate = 1.0  # every pinned column is inside by construction
        elif aimed:
            rate = 0.9
        else:
            rate = self.prevalence_.get(region.id, 0.01)
        trained = synth._model
        model, info, _ = self._model_for(region) if aimed else (trained, None, None)
        if info is not None:
            stats["finetune"] = info
        kept, n_kept, generated = [], 0, 0
        with torch_context(seed, self.n_threads):
            synth._model = model
            synth._set_random_state(seed)
            try:
                stats["how"] = (self._how(model, region, info) if aimed
                                else "rejection of unconditioned rows")
                while n_kept < n and generated < budget:
                    # the first batch asks for what the expected rate needs; later ones
                    # add 10% (rows inside the region beyond n are wasted generation)
                    margin = 1.1 if generated else 1.0
                    want = math.ceil((n - n_kept) / max(rate, 0.002) * margin)
                    k = int(min(max(want, 16), _MAX_BATCH, budget - generated))
                    rows = self._draw(k)
                    generated += len(rows)
                    if aimed:
                        rows = rows.assign(**{self.schema_.target: region.label})
                    inside = rows[region.contains(rows).to_numpy()]
                    kept.append(inside)
                    n_kept += len(inside)
                    rate = max(n_kept / generated, 1e-4)
            finally:
                if aimed:
                    self._release(model)
                    model.constrain(None)
                synth._model = trained
        stats["requested"] += n
        stats["generated"] += generated
        stats["delivered"] += min(n_kept, n)
        stats["accepted"] += n_kept
        stats["rate"] = round(stats["accepted"] / stats["generated"], 4) if stats[
            "generated"] else None
        if n_kept < n:  # reported, not raised: the pipeline records the shortfall
            stats["shortfall"] = (
                f"{n_kept} of {n} rows inside region {region.id} after {generated} generated "
                f"(budget max_tries={self.max_tries}). Fix: train longer (epochs), raise "
                "max_tries, or use generator=perturbation for this region.")
        return pd.concat(kept, ignore_index=True).iloc[:n] if kept else self._empty()

    # -- reporting -------------------------------------------------------------------

    def describe(self) -> dict:
        out = super().describe()
        if hasattr(self, "loss_curve_"):
            curve = self.loss_curve_
            step = max(1, math.ceil(len(curve) / 20))
            compact = pd.concat([curve.iloc[::step], curve.iloc[-1:]]).drop_duplicates("epoch")
            out["training"] = {
                "epochs_run": self.epochs_run_, "epochs": self.epochs,
                "stopped_early": self.stopped_early_, "fit_seconds": self.fit_seconds_,
                "device": self.device_, "n_threads": self.n_threads, "threads": self.threads_,
                "loss_curve": {c: [int(v) if c == "epoch" else round(float(v), 4)
                                   for v in compact[c]] for c in compact.columns},
            }
            out["acceptance"] = self.acceptance_
        return out


class _CTGANLike(_DeepGenerator):
    def _hooks(self) -> dict:
        return {"focus_columns": [self.schema_.target, REGION_COLUMN], "focus": self.focus}

    def check_params(self) -> list[str]:
        problems = super().check_params()
        if not _positive_int(self.pac):
            problems.append(f"{self.name} pac must be an integer >= 1; got {self.pac!r}.")
        elif _positive_int(self.batch_size) and self.batch_size % self.pac:
            problems.append(f"{self.name} batch_size must be a multiple of pac={self.pac}; got "
                            f"{self.batch_size}.")
        if not isinstance(self.focus, (int, float)) or not 0 <= self.focus <= 1:
            problems.append(f"{self.name} focus must be in [0, 1]; got {self.focus!r}.")
        return problems

    def _synth_kwargs(self) -> dict:
        return {"embedding_dim": int(self.embedding_dim),
                "generator_dim": tuple(self.generator_dim),
                "discriminator_dim": tuple(self.discriminator_dim), "pac": int(self.pac)}

    def _aim(self, model, region: Region) -> str:
        model.condition = self._condition(region)
        return f"conditional vector {model.condition[0]} == {model.condition[1]!r}"

    def _release(self, model) -> None:
        model.condition = None

    def _condition(self, region: Region) -> tuple:
        if (region.categories or region.ranges) and region.id in self.region_values_:
            return REGION_COLUMN, region.id
        return self.schema_.target, region.label

    def _finetune_batch(self, n_rows: int) -> int:
        batch = super()._finetune_batch(n_rows)
        return max(self.pac, batch - batch % self.pac)

    def _finetune(self, model, region: Region, rows: np.ndarray, batch: int):
        return model.finetune(rows, self._condition(region), int(self.finetune_steps),
                              float(self.finetune_lr), batch)


_COMMON_DOC = """
    epochs : int
        Training epochs (passes over the table).
    batch_size : int
        Rows per training step (even{pac}).
    max_seconds : float or None
        Time budget for training; training stops after the epoch that spends it,
        and ``stopped_early_`` says so.
    enable_gpu : bool
        Train and sample on CUDA when it is present.
    n_threads : int or None
        Threads of torch (and of every BLAS / OpenMP pool) during fit and sample,
        restored afterwards. ``None`` (default): the caller's limit, i.e. the one
        setting ``Augmenter(threads=...)`` / CLI ``threads=`` (outside them, torch's own
        setting); an integer overrides it for this generator only. Same seed and thread
        count give identical rows (``threads_`` records the count fit ran with).
    targeting : {{"condition", "rejection"}}
        How rows are aimed at a region (module docstring).
    max_tries : int
        Rejection budget: at most ``max_tries * n`` rows generated per ``sample`` call.
    finetune_steps : int >= 0
        With ``targeting="condition"``: when a region is first sampled, a copy of the
        trained model is trained this many more steps on the region's real rows only
        (batches of ``min(batch_size, max(100, region rows))`` drawn with
        replacement), and that copy samples the region from then on. 0 disables.
    finetune_lr : float > 0
        Learning rate of fine-tuning (fresh Adam optimizers).
    constrain : bool
        With ``targeting="condition"``: decode the categorical columns a region pins
        (and the target) among the region's values only (CTGAN: the model's
        probabilities renormalised over them; TVAE: the argmax taken among them).
        Numeric ranges are never clipped: rows outside them are rejected.
    mask_modes : bool
        With ``constrain``: decode each numeric column a region's range pins among the
        value modes that reach the range only (module docstring).
    min_region_rows : int
        Fewest real rows a region needs; smaller regions are reported by ``check_table``.
    progress : bool
        Show a progress bar over epochs.
    dcr_target : float in (0, 2] or None
        Rows sit no closer to the region's real rows than unseen real rows do, by this
        ratio of median distances: where they would, the base moves them the least that
        gets them there (:mod:`augment.generators._dcr`; ``dcr_``). None: the rows as drawn.
    random_state : int or None
        Seed; each ``sample`` call draws its own seed from it.
"""


class CTGANGenerator(_CTGANLike):
    __doc__ = """SDV ``CTGANSynthesizer`` aimed at regions through its conditional vector.

    Parameters
    ----------""" + _COMMON_DOC.format(pac=", a multiple of pac") + """
    embedding_dim, generator_dim, discriminator_dim, pac
        ctgan architecture (SDV's meaning).
    focus : float in [0, 1]
        Share of each training batch whose conditional vector is put on the target
        or region column (0 gives ctgan's own uniform choice).

    Attributes
    ----------
    loss_curve_ : DataFrame
        ``epoch``, ``generator_loss``, ``discriminator_loss`` (last batch of each epoch).
    acceptance_ : dict
        Per region id: ``requested``, ``delivered``, ``generated``, ``accepted``, ``rate``,
        ``how`` (every step that aimed the rows), ``finetune`` (steps, rows, batch, lr,
        seconds) when a fine-tuned copy sampled the region.
    epochs_run_, stopped_early_, fit_seconds_, device_, threads_
        What training did (``threads_``: torch's CPU threads during fit).

    Examples
    --------
    >>> from augment.data import detect_schema
    >>> from augment.generators import CTGANGenerator
    >>> # gen = CTGANGenerator(epochs=50, random_state=0).fit(table, detect_schema(table, "y"))
    """

    name = "ctgan"
    kind = "ctgan"

    def __init__(self, epochs: int = 300, batch_size: int = 500,
                 max_seconds: float | None = None, enable_gpu: bool = True,
                 n_threads: int | None = None, targeting: str = "condition", focus: float = 0.5,
                 max_tries: int = 50, finetune_steps: int = FINETUNE_STEPS,
                 finetune_lr: float = 2e-4, constrain: bool = True,
                 mask_modes: bool = True, min_region_rows: int = 10, embedding_dim: int = 128,
                 generator_dim=(256, 256), discriminator_dim=(256, 256), pac: int = 10,
                 progress: bool = True, dcr_target: float | None = DCR_TARGET,
                 random_state: int | None = None):
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_seconds = max_seconds
        self.enable_gpu = enable_gpu
        self.n_threads = n_threads
        self.targeting = targeting
        self.focus = focus
        self.max_tries = max_tries
        self.finetune_steps = finetune_steps
        self.finetune_lr = finetune_lr
        self.constrain = constrain
        self.mask_modes = mask_modes
        self.min_region_rows = min_region_rows
        self.embedding_dim = embedding_dim
        self.generator_dim = generator_dim
        self.discriminator_dim = discriminator_dim
        self.pac = pac
        self.progress = progress
        self.dcr_target = dcr_target
        self.random_state = random_state


class CopulaGANGenerator(CTGANGenerator):
    """SDV ``CopulaGANSynthesizer`` (CTGAN on Gaussian-copula-normalised numerics).

    Same parameters, attributes and targeting as :class:`CTGANGenerator`.
    """

    name = "copulagan"
    kind = "copulagan"


class TVAEGenerator(_DeepGenerator):
    __doc__ = """SDV ``TVAESynthesizer`` aimed at regions through its encoder's latent space.

    Parameters
    ----------""" + _COMMON_DOC.format(pac="") + """
    embedding_dim, compress_dims, decompress_dims
        TVAE architecture (SDV's meaning).
    temperature : float > 0
        Scale of the posterior spread around each real row of the region
        (1 = the encoder's own posterior; larger strays further from real rows).

    Attributes
    ----------
    loss_curve_ : DataFrame
        ``epoch``, ``loss`` (mean over the epoch's batches).
    acceptance_ : dict
        Per region id: ``requested``, ``delivered``, ``generated``, ``accepted``, ``rate``,
        ``how``, ``finetune`` (as :class:`CTGANGenerator`).
    """

    name = "tvae"
    kind = "tvae"

    def __init__(self, epochs: int = 300, batch_size: int = 500,
                 max_seconds: float | None = None, enable_gpu: bool = True,
                 n_threads: int | None = None, targeting: str = "condition",
                 temperature: float = 1.0, max_tries: int = 50,
                 finetune_steps: int = FINETUNE_STEPS, finetune_lr: float = 1e-3,
                 constrain: bool = True, mask_modes: bool = True,
                 min_region_rows: int = 10,
                 embedding_dim: int = 128, compress_dims=(128, 128),
                 decompress_dims=(128, 128), progress: bool = True,
                 dcr_target: float | None = DCR_TARGET, random_state: int | None = None):
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_seconds = max_seconds
        self.enable_gpu = enable_gpu
        self.n_threads = n_threads
        self.targeting = targeting
        self.temperature = temperature
        self.max_tries = max_tries
        self.finetune_steps = finetune_steps
        self.finetune_lr = finetune_lr
        self.constrain = constrain
        self.mask_modes = mask_modes
        self.min_region_rows = min_region_rows
        self.embedding_dim = embedding_dim
        self.compress_dims = compress_dims
        self.decompress_dims = decompress_dims
        self.progress = progress
        self.dcr_target = dcr_target
        self.random_state = random_state

    def check_params(self) -> list[str]:
        problems = super().check_params()
        if not isinstance(self.temperature, (int, float)) or self.temperature <= 0:
            problems.append(f"tvae temperature must be a number > 0; got {self.temperature!r}.")
        return problems

    def _hooks(self) -> dict:
        return {"temperature": float(self.temperature)}

    def _synth_kwargs(self) -> dict:
        return {"embedding_dim": int(self.embedding_dim),
                "compress_dims": tuple(self.compress_dims),
                "decompress_dims": tuple(self.decompress_dims)}

    def _finetune(self, model, region: Region, rows: np.ndarray, batch: int):
        return model.finetune(rows, int(self.finetune_steps), float(self.finetune_lr), batch)

    def _aim(self, model, region: Region) -> str:
        model.latent = model.latent_of(self._aimed[region.id][2])
        return (f"latent posterior of the region's {len(model.latent[0])} real rows "
                f"(temperature {self.temperature})")

    def _release(self, model) -> None:
        model.latent = None
