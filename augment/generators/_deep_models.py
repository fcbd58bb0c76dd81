"""Torch-side pieces of the deep pathways: ctgan/SDV subclasses that can be aimed at a region.

Imported lazily (it imports torch, ctgan and SDV); :mod:`augment.generators._sdv_deep`
is the public side.

- :class:`FocusedCTGAN` trains ctgan's conditional GAN with the conditional vector
  put on chosen columns (the target and the region column) for a share ``focus``
  of each batch, samples with a fixed condition, and fixes ctgan 0.12's
  ``generate_cond_from_condition_column_info``, which always writes the condition
  into the first discrete column's slots (``_discrete_column_matrix_st`` is never
  filled), so ``CTGAN.sample(condition_column=...)`` sets the wrong bit for every
  column but the first.
- :class:`LatentTVAE` is ctgan's TVAE that keeps its encoder, so rows can be drawn
  from the encoder's posterior around the real rows of a region.
- Both report every epoch to a callback (progress bar, time budget, loss curve).
- Both keep their transformed training matrix, and ``finetune(rows, ...)`` returns a
  copy trained further on those rows only (CTGAN: generator and discriminator, with
  the conditional vector fixed to the region; TVAE: encoder and decoder).
- Both keep every torch module on one device: ``set_device`` moves all of them
  (ctgan moves only the generator / decoder, leaving the discriminator / encoder
  behind), and pickling stores CPU copies (ctgan's own
  ``__getstate__`` moves the modules back to the GPU before pickle writes them, so a
  model trained on CUDA could not be loaded on a machine without one). A loaded model
  goes to CUDA when it is present and the model was made with ``enable_gpu``.
- Both can decode with some categories of discrete columns masked out
  (``allowed``): the masked categories get zero probability and the model's own
  probabilities are renormalised over the allowed ones (CTGAN: the Gumbel-softmax
  logits; TVAE: the argmax over the decoded scores), and with some value *modes*
  of continuous columns masked out (``modes``) the same way. A continuous column
  is a one-hot mode (ctgan's ``ClusterBasedNormalizer``: a Gaussian mixture
  component) plus a scalar within the mode; :func:`mode_shares` measures, per mode,
  the share of the real values assigned to it that fall in a numeric range, and the
  modes that (almost) never do can be ruled out. The scalar is never touched, so
  values are not clipped.

Upstream code this module copies, overrides or reads the private state of is
pinned: ctgan 0.12.1 and sdv 2.0.0 (``pyproject.toml`` bounds them to those minors).
Every copy says which upstream function it mirrors, and :data:`UPSTREAM` records a
hash of each upstream source; :func:`upstream_drift` (run by
``tests/test_dependencies.py``) names the copy to re-sync when an installed source
differs from the one the copy was taken from.
"""

from __future__ import annotations

import copy
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from ctgan.data_sampler import DataSampler
from ctgan.data_transformer import DataTransformer
from ctgan.synthesizers._utils import _set_device
from ctgan.synthesizers.base import random_state
from ctgan.synthesizers.ctgan import CTGAN, Discriminator, Generator
from ctgan.synthesizers.tvae import TVAE, Decoder, Encoder, _loss_function
from sdv.single_table import CopulaGANSynthesizer, CTGANSynthesizer, TVAESynthesizer
from sdv.single_table.ctgan import _validate_no_category_dtype
from sdv.single_table.utils import detect_discrete_columns
from torch.utils.data import DataLoader, TensorDataset

from augment.data import as_text

__all__ = ["UPSTREAM", "FocusedCTGAN", "LatentTVAE", "StopTraining", "make_synthesizer",
           "mode_shares", "modes_to_keep", "upstream_drift"]

#: Upstream code (ctgan 0.12.1, sdv 2.0.0) that this module copies, overrides or relies on
#: the private state of: {dotted name: (first 16 hex digits of the sha256 of its source,
#: what here depends on it)}. :func:`upstream_drift` compares them with the installed sources.
UPSTREAM = {
    "ctgan.synthesizers.ctgan.CTGAN.fit": (
        "078d3c4ce1b2a50c", "FocusedCTGAN.fit and FocusedCTGAN._train (copies)"),
    "ctgan.synthesizers.ctgan.CTGAN.sample": (
        "fb29366b755b91e4", "FocusedCTGAN.sample (calls it; relies on it calling "
        "_apply_activate and generate_cond_from_condition_column_info)"),
    "ctgan.synthesizers.ctgan.CTGAN._apply_activate": (
        "4b248ac6fe06ee00", "FocusedCTGAN._apply_activate (adds the decoding mask first)"),
    "ctgan.synthesizers.ctgan.CTGAN.set_device": (
        "9c09aa462c58e090", "_OneDevice.set_device (replaces it)"),
    "ctgan.synthesizers.tvae.TVAE.fit": (
        "d334a170dbcbf8ed", "LatentTVAE.fit and LatentTVAE._step (copies)"),
    "ctgan.synthesizers.tvae.TVAE.sample": (
        "4a7727ecb4d945fc", "LatentTVAE.sample (its latent branch is a copy)"),
    "ctgan.synthesizers.tvae.TVAE.set_device": (
        "634fed7f6481eec6", "_OneDevice.set_device (replaces it)"),
    "ctgan.synthesizers.base.BaseSynthesizer": (
        "362b783aecdc2f5e", "_OneDevice.__getstate__ / __setstate__ (copies, CPU pickles)"),
    "ctgan.synthesizers.base.random_state": (
        "9e29892a8a674521", "LatentTVAE.fit / sample (decorated with it)"),
    "ctgan.synthesizers.base.set_random_states": (
        "ecc3557124f95c98", "LatentTVAE.fit / _sample_latent (random_state runs them "
        "inside it)"),
    "ctgan.data_sampler.DataSampler": (
        "9ba573a805104b8f", "_FocusedSampler.sample_condvec (copy with focus), "
        "_FocusedSampler.generate_cond_from_condition_column_info (fixed copy), _RegionSampler "
        "(stands in for it), FocusedCTGAN.finetune (read _n_discrete_columns, _n_categories, "
        "_discrete_column_cond_st)"),
    "ctgan.data_transformer.DataTransformer": (
        "7ac37c3957245dbc", "_discrete_ids, _spans, decoding_mask, mode_shares (read "
        "_column_transform_info_list and its span layout)"),
    "sdv.single_table.ctgan.CTGANSynthesizer._fit": (
        "2dfc0631c1b64053", "_CTGANSynth._fit (copy ending in a FocusedCTGAN)"),
    "sdv.single_table.ctgan.TVAESynthesizer._fit": (
        "32c0cf92d15f4e3c", "_TVAESynth._fit (copy ending in a LatentTVAE)"),
    "sdv.single_table.ctgan._validate_no_category_dtype": (
        "16f3423305da6fc9", "_CTGANSynth._fit, _TVAESynth._fit (call it)"),
    "sdv.single_table.copulagan.CopulaGANSynthesizer": (
        "570b796e1092e466", "_CopulaGANSynth (runs its _fit and _sample unchanged; relies "
        "on _fit ending in super()._fit and on CTGANSynthesizer being its base)"),
    "sdv.single_table.base.BaseSingleTableSynthesizer._set_random_state": (
        "ff7ad1a6147eb67c", "_DeepGenerator._sample (calls it)"),
    "sdv.single_table.utils.detect_discrete_columns": (
        "48dcf5e8ddfe11b1", "_discrete (calls it with the data processor's transformers)"),
}


def _resolve(name: str):
    import importlib

    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(name)


def upstream_source(name: str) -> str:
    """The installed source of ``name`` (a function under ctgan's ``random_state``
    decorator, which keeps no ``__wrapped__``, is read through the decorator)."""
    import inspect

    obj = _resolve(name)
    if getattr(obj, "__qualname__", "").endswith("random_state.<locals>.wrapper"):
        obj = next(c.cell_contents for c in obj.__closure__
                   if inspect.isfunction(c.cell_contents))
    return inspect.getsource(obj)


def upstream_drift(recorded: dict | None = None) -> list[str]:
    """One line per entry of ``recorded`` (default :data:`UPSTREAM`) whose installed
    source no longer hashes to the recorded value, naming the copy to re-sync."""
    import hashlib
    from importlib.metadata import version

    out = []
    for name, (digest, ours) in (UPSTREAM if recorded is None else recorded).items():
        try:
            got = hashlib.sha256(upstream_source(name).encode()).hexdigest()[:16]
        except (ImportError, AttributeError, OSError, TypeError) as exc:
            got = f"unreadable ({type(exc).__name__})"
        if got != digest:
            out.append(
                f"{name} changed (installed ctgan {version('ctgan')}, sdv {version('sdv')}: "
                f"source hash {got}, recorded {digest} at ctgan 0.12.1 / sdv 2.0.0). Fix: "
                f"re-sync {ours} in augment/generators/_deep_models.py with the new source, "
                "then record the new hash in UPSTREAM.")
    return out


class StopTraining(Exception):
    """Raised by an epoch callback to end training early (time budget)."""


class _FocusedSampler(DataSampler):
    """ctgan's sampler with the conditional vector put on ``focus_ids`` for a share of rows.

    ``sample_condvec`` mirrors ctgan 0.12.1's ``DataSampler.sample_condvec`` (plus the
    focus); ``generate_cond_from_condition_column_info`` is ctgan 0.12.1's with the
    condition written at ``_discrete_column_cond_st`` (see the module docstring).
    """

    focus_ids: np.ndarray = np.array([], dtype=int)
    focus: float = 0.0

    def sample_condvec(self, batch):
        if self._n_discrete_columns == 0:
            return None
        column = np.random.choice(np.arange(self._n_discrete_columns), batch)
        if len(self.focus_ids) and self.focus > 0:
            pick = np.random.rand(batch) < self.focus
            column[pick] = np.random.choice(self.focus_ids, int(pick.sum()))
        cond = np.zeros((batch, self._n_categories), dtype="float32")
        mask = np.zeros((batch, self._n_discrete_columns), dtype="float32")
        mask[np.arange(batch), column] = 1
        category_in_col = self._random_choice_prob_index(column)
        cond[np.arange(batch), self._discrete_column_cond_st[column] + category_in_col] = 1
        return cond, mask, column, category_in_col

    def generate_cond_from_condition_column_info(self, condition_info, batch):
        vec = np.zeros((batch, self._n_categories), dtype="float32")
        start = self._discrete_column_cond_st[condition_info["discrete_column_id"]]
        vec[:, start + condition_info["value_id"]] = 1
        return vec


def _discrete_ids(transformer, columns) -> np.ndarray:
    """Positions of ``columns`` among the discrete columns of a ctgan ``DataTransformer``."""
    ids, counter = [], 0
    for info in transformer._column_transform_info_list:
        if info.column_type == "discrete":
            if info.column_name in columns:
                ids.append(counter)
            counter += 1
    return np.array(ids, dtype=int)


def _spans(transformer) -> dict:
    """Per column of a ctgan ``DataTransformer``: ``(start, end, info)`` in its output matrix."""
    out, start = {}, 0
    for info in transformer._column_transform_info_list:
        out[info.column_name] = (start, start + info.output_dimensions, info)
        start += info.output_dimensions
    return out


#: Added to the output scores of masked categories (finite, so no span is ever all NaN).
_MASKED = -1e9


def mode_shares(transformer, matrix: np.ndarray, inside: dict) -> dict:
    """Per continuous column in ``inside``: ``(share, weight)`` over its value modes.

    ``matrix`` is the transformed training table (one row per real row) and
    ``inside[column]`` a boolean per real row: is its value in the range. ``share[k]``
    is the share of the real rows assigned to mode ``k`` whose value is in the range
    (0 for a mode no row was assigned to), ``weight[k]`` the share of all rows
    assigned to mode ``k``. Columns that are not continuous in the model are left out.
    """
    spans = _spans(transformer)
    out = {}
    for column, flags in inside.items():
        if column not in spans or spans[column][2].column_type != "continuous":
            continue
        start, end, _ = spans[column]
        modes = np.asarray(matrix[:, start + 1:end]).argmax(axis=1)
        n_modes = end - start - 1
        count = np.bincount(modes, minlength=n_modes).astype(float)
        hits = np.bincount(modes, weights=np.asarray(flags, dtype=float), minlength=n_modes)
        share = np.divide(hits, count, out=np.zeros(n_modes), where=count > 0)
        out[column] = (share, count / max(len(modes), 1))
    return out


def modes_to_keep(share: np.ndarray, weight: np.ndarray, coverage: float) -> np.ndarray:
    """The fewest value modes, highest in-range ``share`` first, that hold at least
    ``coverage`` of the real values inside the range (:func:`mode_shares`); so the
    masked modes hold at most ``1 - coverage`` of them. All False when no real value
    is in the range."""
    mass = np.asarray(share, dtype=float) * np.asarray(weight, dtype=float)
    keep = np.zeros(len(mass), dtype=bool)
    if mass.sum() <= 0:
        return keep
    order = np.argsort(-np.asarray(share, dtype=float), kind="stable")
    covered = np.cumsum(mass[order]) / mass.sum()
    keep[order[:int(np.searchsorted(covered, coverage - 1e-9)) + 1]] = True
    return keep & (mass > 0)


def decoding_mask(transformer, allowed: dict,
                  modes: dict | None = None) -> tuple[np.ndarray | None, list[str]]:
    """Additive mask over the output matrix that rules out categories not in ``allowed``
    and value modes not kept by ``modes``.

    ``allowed`` maps discrete column names to the values a row may take (compared as
    text, as ``Region.contains`` does). ``modes`` maps continuous column names to a
    boolean per value mode (True = keep); a column where no mode is kept is decoded
    unmasked, and its note says so. Returns the mask (``None`` when nothing is
    masked) and one line per column. A column whose allowed values the model never
    saw raises ``ValueError``.
    """
    spans = _spans(transformer)
    mask = np.zeros(transformer.output_dimensions, dtype="float32")
    notes, masked = [], False
    for column, values in allowed.items():
        if column not in spans or spans[column][2].column_type != "discrete":
            continue
        start, end, info = spans[column]
        dummies = as_text(pd.Series(list(info.transform.dummies), dtype=object)).iloc[:, 0]
        wanted = set(as_text(pd.Series(list(values), dtype=object)).iloc[:, 0])
        keep = dummies.isin(wanted).to_numpy()
        if not keep.any():
            raise ValueError(f"no value of {sorted(wanted)} was seen in column {column!r}")
        if keep.all():
            continue
        mask[start:end][~keep] = _MASKED
        masked = True
        notes.append(f"{column} decoded among {int(keep.sum())} of {len(keep)} categories")
    for column, keep in (modes or {}).items():
        if column not in spans or spans[column][2].column_type != "continuous":
            continue
        start, end, _ = spans[column]
        keep = np.asarray(keep, dtype=bool)
        if len(keep) != end - start - 1:
            raise ValueError(f"{column!r} has {end - start - 1} value modes; got a mask of "
                             f"{len(keep)}")
        if not keep.any():
            notes.append(f"{column}: no value mode reaches its range, decoded among all "
                         f"{len(keep)} modes")
            continue
        if keep.all():
            continue
        mask[start + 1:end][~keep] = _MASKED
        masked = True
        notes.append(f"{column} decoded among {int(keep.sum())} of {len(keep)} value modes")
    return (mask if masked else None), notes


class _RegionSampler:
    """Stands in for ctgan's ``DataSampler`` while fine-tuning: one fixed condition, region rows."""

    def __init__(self, cond: np.ndarray, column_id: int, value_id: int, n_columns: int,
                 n_rows: int):
        self.cond, self.column_id, self.value_id = cond, column_id, value_id
        self.n_columns, self.n_rows = n_columns, n_rows

    def sample_condvec(self, batch):
        mask = np.zeros((batch, self.n_columns), dtype="float32")
        mask[:, self.column_id] = 1
        return (np.repeat(self.cond[None, :], batch, axis=0), mask,
                np.full(batch, self.column_id), np.full(batch, self.value_id))

    def sample_data(self, data, n, col, opt):
        return data[np.random.randint(self.n_rows, size=n)]


class _Constrainable:
    """``constrain(allowed, modes)``: decode discrete columns among the allowed values and
    continuous columns among the kept value modes only."""

    allowed = None
    modes = None

    def _coder(self):
        raise NotImplementedError

    def constrain(self, allowed: dict | None, modes: dict | None = None) -> list[str]:
        """Set ``allowed`` ({column: values}) and ``modes`` ({column: keep per mode}), or
        None to lift them; one note per column (:func:`decoding_mask`)."""
        self.allowed = allowed or None
        self.modes = modes or None
        return decoding_mask(self._coder(), allowed or {}, modes)[1]

    def _decoding_mask(self):
        return decoding_mask(self._coder(), self.allowed or {}, self.modes)[0]


class _EpochHook:
    """ctgan assigns ``loss_values`` once per epoch: that assignment is the epoch callback."""

    @property
    def loss_values(self):
        return self.__dict__.get("_loss_values")

    @loss_values.setter
    def loss_values(self, value):
        self.__dict__["_loss_values"] = value
        callback = self.__dict__.get("epoch_callback")
        if callback is not None and value is not None and len(value):
            callback(self, value)


def _cpu(value):
    """``value`` (a torch module or tensor) on the CPU: itself if it is there, else a copy."""
    if isinstance(value, torch.Tensor):
        return value.cpu()
    if all(t.device.type == "cpu" for t in (*value.parameters(), *value.buffers())):
        return value
    return copy.deepcopy(value).cpu()


def _clone(model, **changes):
    """A shallow copy of ``model`` with ``changes`` to its attributes.

    Not ``copy.copy``: that goes through pickling's ``__getstate__`` / ``__setstate__``,
    which copy every module to the CPU and back.
    """
    clone = model.__class__.__new__(model.__class__)
    clone.__dict__ = dict(model.__dict__, **changes)
    return clone


class _OneDevice:
    """Every torch module and tensor the model holds follows ``set_device``; pickles hold
    CPU copies (the live model stays where it is); a loaded model goes to CUDA when it is
    present and the model was made with ``enable_gpu``."""

    def _torch_attributes(self) -> list[str]:
        return [key for key, value in self.__dict__.items()
                if isinstance(value, (torch.nn.Module, torch.Tensor))]

    def set_device(self, device):
        """Move every module and tensor the model holds to ``device`` (ctgan's meaning;
        replaces ctgan 0.12.1's ``CTGAN.set_device`` / ``TVAE.set_device``)."""
        self._device = _set_device(getattr(self, "_enable_gpu", True), device)
        for key in self._torch_attributes():
            value = self.__dict__[key]
            if isinstance(value, torch.Tensor):
                self.__dict__[key] = value.to(self._device)
            else:
                value.to(self._device)

    def __getstate__(self):
        """Mirrors ctgan 0.12.1's ``BaseSynthesizer.__getstate__`` (random states stored as
        their states), with CPU copies instead of moving the live modules."""
        state = self.__dict__.copy()
        for key in self._torch_attributes():
            state[key] = _cpu(state[key])
        state["_device"] = torch.device("cpu")
        states = state.get("random_states")
        if (isinstance(states, tuple) and isinstance(states[0], np.random.RandomState)
                and isinstance(states[1], torch.Generator)):
            state["_numpy_random_state"] = states[0].get_state()
            state["_torch_random_state"] = states[1].get_state()
            state.pop("random_states")
        return state

    def __setstate__(self, state):
        """Mirrors ctgan 0.12.1's ``BaseSynthesizer.__setstate__``; honours ``enable_gpu``."""
        state = dict(state)
        np_state = state.pop("_numpy_random_state", None)
        torch_state = state.pop("_torch_random_state", None)
        if np_state is not None and torch_state is not None:
            numpy_random = np.random.RandomState()
            numpy_random.set_state(np_state)
            torch_random = torch.Generator()
            torch_random.set_state(torch_state)
            state["random_states"] = (numpy_random, torch_random)
        self.__dict__ = state
        self.set_device(_set_device(getattr(self, "_enable_gpu", True)))


class FocusedCTGAN(_OneDevice, _Constrainable, _EpochHook, CTGAN):
    """ctgan's CTGAN with a focused conditional vector, a fixed sampling condition and a hook.

    Parameters
    ----------
    focus_columns : list of str
        Discrete columns the conditional vector is put on for a share ``focus`` of rows.
    focus : float in [0, 1]
        That share; the other rows pick a discrete column uniformly, as ctgan does.
    epoch_callback : callable or None
        ``callback(model, loss_values)`` after every epoch; may raise :class:`StopTraining`.
    **kwargs
        ctgan ``CTGAN`` arguments.
    """

    def __init__(self, focus_columns=(), focus=0.5, epoch_callback=None, **kwargs):
        self.epoch_callback = None
        super().__init__(**kwargs)
        self.focus_columns = list(focus_columns)
        self.focus = float(focus)
        self.epoch_callback = epoch_callback
        self.condition = None
        self._mask = None

    @property
    def _data_sampler(self):
        return self.__dict__.get("_sampler")

    @_data_sampler.setter
    def _data_sampler(self, value):
        if value is not None and not isinstance(value, _FocusedSampler):
            value.__class__ = _FocusedSampler
            value.focus_ids = _discrete_ids(self._transformer, self.focus_columns)
            value.focus = self.focus
        self.__dict__["_sampler"] = value

    @random_state
    def fit(self, train_data, discrete_columns=()):
        """Mirrors ctgan 0.12.1's ``CTGAN.fit`` (without the deprecated ``epochs``
        argument and the verbose bar); keeps the training matrix and the discriminator."""
        self._validate_discrete_columns(train_data, discrete_columns)
        self._validate_null_data(train_data, discrete_columns)
        self._transformer = DataTransformer()
        self._transformer.fit(train_data, discrete_columns)
        data = self._transformer.transform(train_data)
        self._train_matrix = data
        self._data_sampler = DataSampler(data, self._transformer.output_info_list,
                                         self._log_frequency)
        data_dim = self._transformer.output_dimensions
        cond_dim = self._data_sampler.dim_cond_vec()
        self._generator = Generator(self._embedding_dim + cond_dim, self._generator_dim,
                                    data_dim).to(self._device)
        self._discriminator = Discriminator(data_dim + cond_dim, self._discriminator_dim,
                                            pac=self.pac).to(self._device)
        self._train(data, self._data_sampler, self._epochs,
                    max(len(data) // self._batch_size, 1), self._batch_size,
                    self._generator_lr, self._discriminator_lr)

    def _train(self, data, sampler, epochs, steps_per_epoch, batch_size, lr_g, lr_d):
        """Mirrors the training loop of ctgan 0.12.1's ``CTGAN.fit`` (fresh Adam optimizers,
        the same order of random draws), on ``data`` drawn by ``sampler``."""
        generator, discriminator = self._generator, self._discriminator
        opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=(0.5, 0.9),
                                 weight_decay=self._generator_decay)
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=(0.5, 0.9),
                                 weight_decay=self._discriminator_decay)
        mean = torch.zeros(batch_size, self._embedding_dim, device=self._device)
        std = mean + 1
        self.loss_values = None
        history = []

        def fake_rows():
            fakez = torch.normal(mean=mean, std=std)
            condvec = sampler.sample_condvec(batch_size)
            if condvec is None:
                return fakez, None, None, None, None
            c1, m1, col, opt = condvec
            c1 = torch.from_numpy(c1).to(self._device)
            m1 = torch.from_numpy(m1).to(self._device)
            return torch.cat([fakez, c1], dim=1), c1, m1, col, opt

        for epoch in range(epochs):
            for _ in range(steps_per_epoch):
                for _ in range(self._discriminator_steps):
                    fakez, c1, _, col, opt = fake_rows()
                    if c1 is None:
                        real = sampler.sample_data(data, batch_size, None, None)
                    else:
                        perm = np.arange(batch_size)
                        np.random.shuffle(perm)
                        real = sampler.sample_data(data, batch_size, col[perm], opt[perm])
                        c2 = c1[perm]
                    fakeact = self._apply_activate(generator(fakez))
                    real = torch.from_numpy(real.astype("float32")).to(self._device)
                    if c1 is not None:
                        fake_cat = torch.cat([fakeact, c1], dim=1)
                        real_cat = torch.cat([real, c2], dim=1)
                    else:
                        real_cat, fake_cat = real, fakeact
                    y_fake = discriminator(fake_cat)
                    y_real = discriminator(real_cat)
                    pen = discriminator.calc_gradient_penalty(real_cat, fake_cat, self._device,
                                                              self.pac)
                    loss_d = -(torch.mean(y_real) - torch.mean(y_fake))
                    opt_d.zero_grad(set_to_none=False)
                    pen.backward(retain_graph=True)
                    loss_d.backward()
                    opt_d.step()
                fakez, c1, m1, _, _ = fake_rows()
                fake = generator(fakez)
                fakeact = self._apply_activate(fake)
                y_fake = discriminator(fakeact if c1 is None else torch.cat([fakeact, c1], dim=1))
                cross_entropy = 0 if c1 is None else self._cond_loss(fake, c1, m1)
                loss_g = -torch.mean(y_fake) + cross_entropy
                opt_g.zero_grad(set_to_none=False)
                loss_g.backward()
                opt_g.step()
            history.append({"Epoch": epoch, "Generator Loss": loss_g.detach().cpu().item(),
                            "Discriminator Loss": loss_d.detach().cpu().item()})
            self.loss_values = pd.DataFrame(history)

    def finetune(self, rows: np.ndarray, condition: tuple, steps: int, lr: float,
                 batch_size: int) -> FocusedCTGAN:
        """A copy trained ``steps`` more generator steps on training rows ``rows`` only.

        The conditional vector of every fake and real row is ``condition`` (column,
        value); the real rows' own one-hot of that column is set to the value too (a
        row may belong to a region without carrying its id, when a smaller region
        holds it). Generator and discriminator are copied; the optimizers start fresh.
        """
        column, value = condition
        info = self._transformer.convert_column_name_value_to_id(column, value)
        cond = self._data_sampler.generate_cond_from_condition_column_info(info, 1)[0]
        data = self._train_matrix[rows].copy()
        start, end, _ = _spans(self._transformer)[column]
        data[:, start:end] = 0
        data[:, start + info["value_id"]] = 1
        tuned = _clone(self, epoch_callback=None, _loss_values=None,
                       _generator=copy.deepcopy(self._generator),
                       _discriminator=copy.deepcopy(self._discriminator))
        sampler = _RegionSampler(cond, info["discrete_column_id"], info["value_id"],
                                 self._data_sampler._n_discrete_columns, len(data))
        tuned._train(data, sampler, 1, int(steps), int(batch_size), lr, lr)
        tuned._discriminator = None
        return tuned

    def _coder(self):
        return self._transformer

    def _apply_activate(self, data):
        if self._mask is not None:
            data = data + self._mask
        return super()._apply_activate(data)

    def sample(self, n, condition_column=None, condition_value=None):
        """Like ``CTGAN.sample``; uses ``self.condition`` (column, value) when none is given,
        and decodes discrete columns among ``self.allowed`` values only."""
        if condition_column is None and self.condition is not None:
            condition_column, condition_value = self.condition
        mask = self._decoding_mask()
        self._mask = None if mask is None else torch.from_numpy(mask).to(self._device)
        try:
            return super().sample(n, condition_column, condition_value)
        finally:
            self._mask = None


class LatentTVAE(_OneDevice, _Constrainable, _EpochHook, TVAE):
    """ctgan's TVAE that keeps its encoder and can decode around given latent posteriors.

    ``fit`` mirrors ctgan 0.12.1's ``TVAE.fit`` (without the verbose bar) with the encoder
    stored as ``encoder``; the latent branch of ``sample`` mirrors ``TVAE.sample``.
    When ``latent`` holds ``(mu, std)`` arrays (one row per real row of a region),
    ``sample`` draws ``z = mu_i + temperature * std_i * eps`` for a random ``i``
    instead of ``z ~ N(0, I)``, and decodes discrete columns among ``allowed``
    values only (``{column: values}``; the argmax is taken over those categories).
    """

    def __init__(self, epoch_callback=None, temperature=1.0, **kwargs):
        self.epoch_callback = None
        super().__init__(**kwargs)
        self.epoch_callback = epoch_callback
        self.temperature = float(temperature)
        self.latent = None

    @random_state
    def fit(self, train_data, discrete_columns=()):
        """Mirrors ctgan 0.12.1's ``TVAE.fit``; keeps the encoder and the training matrix."""
        self.transformer = DataTransformer()
        self.transformer.fit(train_data, discrete_columns)
        data = self.transformer.transform(train_data).astype("float32")
        self._train_matrix = data
        dataset = TensorDataset(torch.from_numpy(data).to(self._device))
        loader = DataLoader(dataset, batch_size=self.batch_size, shuffle=True, drop_last=False)
        dim = self.transformer.output_dimensions
        self.encoder = Encoder(dim, self.compress_dims, self.embedding_dim).to(self._device)
        self.decoder = Decoder(self.embedding_dim, self.decompress_dims, dim).to(self._device)
        optimizer = self._optimizer(None)
        self.loss_values = pd.DataFrame(columns=["Epoch", "Batch", "Loss"])
        history = []
        for epoch in range(self.epochs):
            losses = [self._step(real, optimizer) for (real,) in loader]
            history.append(pd.DataFrame({"Epoch": epoch, "Batch": range(len(losses)),
                                         "Loss": losses}))
            self.loss_values = pd.concat(history, ignore_index=True)

    def _optimizer(self, lr):
        params = list(self.encoder.parameters()) + list(self.decoder.parameters())
        extra = {} if lr is None else {"lr": lr}
        return torch.optim.Adam(params, weight_decay=self.l2scale, **extra)

    def _step(self, real, optimizer) -> float:
        """One gradient step of ctgan 0.12.1's ``TVAE.fit`` on the batch ``real``."""
        self.encoder.train()
        self.decoder.train()
        optimizer.zero_grad()
        mu, std, logvar = self.encoder(real.to(self._device))
        rec, sigmas = self.decoder(torch.randn_like(std) * std + mu)
        loss_1, loss_2 = _loss_function(rec, real, sigmas, mu, logvar,
                                        self.transformer.output_info_list, self.loss_factor)
        loss = loss_1 + loss_2
        loss.backward()
        optimizer.step()
        self.decoder.sigma.data.clamp_(0.01, 1.0)
        return loss.detach().cpu().item()

    def finetune(self, rows: np.ndarray, steps: int, lr: float, batch_size: int) -> LatentTVAE:
        """A copy whose encoder and decoder trained ``steps`` more steps on training rows
        ``rows`` only (batches drawn with replacement; fresh Adam optimizer)."""
        data = torch.from_numpy(self._train_matrix[rows]).to(self._device)
        tuned = _clone(self, epoch_callback=None, _loss_values=None,
                       encoder=copy.deepcopy(self.encoder), decoder=copy.deepcopy(self.decoder))
        optimizer = tuned._optimizer(lr)
        losses = [tuned._step(data[torch.randint(len(data), (int(batch_size),))], optimizer)
                  for _ in range(int(steps))]
        tuned.loss_values = pd.DataFrame({"Epoch": 0, "Batch": range(len(losses)),
                                          "Loss": losses})
        return tuned

    def _coder(self):
        return self.transformer

    def latent_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std of training rows ``rows``."""
        self.encoder.eval()
        with torch.no_grad():
            mu, std, _ = self.encoder(torch.from_numpy(self._train_matrix[rows]).to(self._device))
        return mu.cpu().numpy(), std.cpu().numpy()

    def sample(self, samples):
        """``TVAE.sample``, or with ``latent`` set: ctgan 0.12.1's ``TVAE.sample`` with
        ``z`` drawn around the region's posteriors and the decoding mask applied."""
        if self.latent is None:
            return super().sample(samples)
        return self._sample_latent(samples, self._decoding_mask())

    @random_state
    def _sample_latent(self, samples, mask):
        mu, std = self.latent
        pick = np.random.randint(len(mu), size=samples)
        eps = torch.randn(samples, mu.shape[1])
        z = (torch.from_numpy(mu[pick]) +
             self.temperature * torch.from_numpy(std[pick]) * eps).to(self._device)
        self.decoder.eval()
        with torch.no_grad():
            fake, sigmas = self.decoder(z)
        scores = torch.tanh(fake).cpu().numpy()
        if mask is not None:  # argmax over the allowed categories / modes only
            scores = scores + mask
        return self.transformer.inverse_transform(scores, sigmas.detach().cpu().numpy())


def _discrete(synth, processed):
    transformers = synth._data_processor._hyper_transformer.field_transformers
    return detect_discrete_columns(synth.metadata, processed, transformers)


class _CTGANFitMixin:
    """Fit a :class:`FocusedCTGAN` where SDV would fit a plain ``CTGAN``."""

    focus_columns: ClassVar[tuple] = ()
    focus: float = 0.5
    epoch_callback = None
    model_seed: int | None = None

    def _fit_ctgan(self, processed):
        self._model = FocusedCTGAN(focus_columns=self.focus_columns, focus=self.focus,
                                   epoch_callback=self.epoch_callback, **self._model_kwargs)
        self._model.set_random_state(self.model_seed)
        try:
            self._model.fit(processed, discrete_columns=_discrete(self, processed))
        except StopTraining:
            pass


class _CTGANSynth(_CTGANFitMixin, CTGANSynthesizer):
    def _fit(self, processed_data):
        """Mirrors sdv 2.0.0's ``CTGANSynthesizer._fit``, ending in a :class:`FocusedCTGAN`."""
        _validate_no_category_dtype(processed_data)
        self._fit_ctgan(processed_data)


class _CopulaGANSynth(CopulaGANSynthesizer, _CTGANSynth):
    """sdv's ``CopulaGANSynthesizer`` whose own ``_fit`` (unchanged) ends in ``super()._fit``:
    this class's MRO puts :class:`_CTGANSynth` there, so it fits a :class:`FocusedCTGAN`."""


class _TVAESynth(TVAESynthesizer):
    epoch_callback = None
    model_seed: int | None = None
    temperature: float = 1.0

    def _fit(self, processed_data):
        """Mirrors sdv 2.0.0's ``TVAESynthesizer._fit``, ending in a :class:`LatentTVAE`."""
        _validate_no_category_dtype(processed_data)
        self._model = LatentTVAE(epoch_callback=self.epoch_callback,
                                 temperature=self.temperature, **self._model_kwargs)
        self._model.set_random_state(self.model_seed)
        try:
            self._model.fit(processed_data, discrete_columns=_discrete(self, processed_data))
        except StopTraining:
            pass


_SYNTHS = {"ctgan": _CTGANSynth, "copulagan": _CopulaGANSynth, "tvae": _TVAESynth}


def make_synthesizer(kind: str, metadata, *, hooks: dict, **kwargs):
    """An SDV synthesizer of ``kind`` whose torch model augment can aim and watch."""
    synth = _SYNTHS[kind](metadata, **kwargs)
    for key, value in hooks.items():
        setattr(synth, key, value)
    return synth
