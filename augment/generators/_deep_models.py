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
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from ctgan.data_sampler import DataSampler
from ctgan.synthesizers.ctgan import CTGAN
from ctgan.synthesizers.tvae import TVAE, Decoder, Encoder, _loss_function
from sdv.single_table import CopulaGANSynthesizer, CTGANSynthesizer, TVAESynthesizer
from sdv.single_table.utils import detect_discrete_columns
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["FocusedCTGAN", "LatentTVAE", "StopTraining", "make_synthesizer"]


class StopTraining(Exception):
    """Raised by an epoch callback to end training early (time budget)."""


class _FocusedSampler(DataSampler):
    """ctgan's sampler with the conditional vector put on ``focus_ids`` for a share of rows."""

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


class FocusedCTGAN(_EpochHook, CTGAN):
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

    def sample(self, n, condition_column=None, condition_value=None):
        """Like ``CTGAN.sample``; uses ``self.condition`` (column, value) when none is given."""
        if condition_column is None and self.condition is not None:
            condition_column, condition_value = self.condition
        return super().sample(n, condition_column, condition_value)


class LatentTVAE(_EpochHook, TVAE):
    """ctgan's TVAE that keeps its encoder and can decode around given latent posteriors.

    ``fit`` is ctgan 0.12's ``TVAE.fit`` with the encoder stored as ``encoder``.
    When ``latent`` holds ``(mu, std)`` arrays (one row per real row of a region),
    ``sample`` draws ``z = mu_i + temperature * std_i * eps`` for a random ``i``
    instead of ``z ~ N(0, I)``.
    """

    def __init__(self, epoch_callback=None, temperature=1.0, **kwargs):
        self.epoch_callback = None
        super().__init__(**kwargs)
        self.epoch_callback = epoch_callback
        self.temperature = float(temperature)
        self.latent = None

    def fit(self, train_data, discrete_columns=()):
        from ctgan.data_transformer import DataTransformer
        from ctgan.synthesizers.base import set_random_states

        def run():
            self.transformer = DataTransformer()
            self.transformer.fit(train_data, discrete_columns)
            data = self.transformer.transform(train_data)
            dataset = TensorDataset(torch.from_numpy(data.astype("float32")).to(self._device))
            loader = DataLoader(dataset, batch_size=self.batch_size, shuffle=True,
                                drop_last=False)
            dim = self.transformer.output_dimensions
            self.encoder = Encoder(dim, self.compress_dims, self.embedding_dim).to(self._device)
            self.decoder = Decoder(self.embedding_dim, self.decompress_dims, dim).to(self._device)
            optimizer = torch.optim.Adam(
                list(self.encoder.parameters()) + list(self.decoder.parameters()),
                weight_decay=self.l2scale)
            self.loss_values = pd.DataFrame(columns=["Epoch", "Batch", "Loss"])
            history = []
            for epoch in range(self.epochs):
                losses = []
                for (real,) in loader:
                    optimizer.zero_grad()
                    mu, std, logvar = self.encoder(real.to(self._device))
                    rec, sigmas = self.decoder(torch.randn_like(std) * std + mu)
                    loss_1, loss_2 = _loss_function(rec, real, sigmas, mu, logvar,
                                                    self.transformer.output_info_list,
                                                    self.loss_factor)
                    loss = loss_1 + loss_2
                    loss.backward()
                    optimizer.step()
                    self.decoder.sigma.data.clamp_(0.01, 1.0)
                    losses.append(loss.detach().cpu().item())
                history.append(pd.DataFrame({"Epoch": epoch, "Batch": range(len(losses)),
                                             "Loss": losses}))
                self.loss_values = pd.concat(history, ignore_index=True)

        if self.random_states is None:
            run()
        else:
            with set_random_states(self.random_states, self.set_random_state):
                run()

    def encode(self, processed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and std of each row (rows in the model's input format)."""
        data = self.transformer.transform(processed)
        self.encoder.eval()
        with torch.no_grad():
            mu, std, _ = self.encoder(torch.from_numpy(data.astype("float32")).to(self._device))
        return mu.cpu().numpy(), std.cpu().numpy()

    def sample(self, samples):
        if self.latent is None:
            return super().sample(samples)
        from ctgan.synthesizers.base import set_random_states

        def run():
            mu, std = self.latent
            pick = np.random.randint(len(mu), size=samples)
            eps = torch.randn(samples, mu.shape[1])
            z = (torch.from_numpy(mu[pick]) +
                 self.temperature * torch.from_numpy(std[pick]) * eps).to(self._device)
            self.decoder.eval()
            with torch.no_grad():
                fake, sigmas = self.decoder(z)
            return self.transformer.inverse_transform(torch.tanh(fake).cpu().numpy(),
                                                      sigmas.detach().cpu().numpy())

        if self.random_states is None:
            return run()
        with set_random_states(self.random_states, self.set_random_state):
            return run()


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
        self._fit_ctgan(processed_data)


class _CopulaGANSynth(_CTGANFitMixin, CopulaGANSynthesizer):
    def _fit(self, processed_data):
        # CopulaGANSynthesizer._fit, ending in a FocusedCTGAN instead of a CTGAN.
        import rdt

        config = self._create_gaussian_normalizer_config(processed_data)
        self._gaussian_normalizer_hyper_transformer = rdt.HyperTransformer()
        self._gaussian_normalizer_hyper_transformer.set_config(config)
        processed = self._gaussian_normalizer_hyper_transformer.fit_transform(processed_data)
        self._fit_ctgan(processed)


class _TVAESynth(TVAESynthesizer):
    epoch_callback = None
    model_seed: int | None = None
    temperature: float = 1.0

    def _fit(self, processed_data):
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
