"""Explanations of the window's readings for the see-inside views (evidence overlay, network view).

One `model.explain.Explanation` per reading, computed only when a view that is open asks for it,
and shared by the views: the overlay and the network view then cost one backward pass per update
between them. The digits explained are the reading's own (its top digit versus its runner-up), so
the views always agree with the prediction card. Nothing here imports Tk.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from app.controller import Reading
from model.explain import Explainer, Explanation
from model.mlp import MLP


class Insight:
    """`explain(reading)` for the model the controller holds now (None for an empty reading, or
    for a model this kind of explanation does not cover)."""

    def __init__(self, controller: Any) -> None:
        self.controller = controller
        self._explainer: Explainer | None = None
        self._reading: Reading | None = None
        self._explanation: Explanation | None = None
        self._scales: tuple[Any, list[float]] | None = None

    @property
    def explainer(self) -> Explainer | None:
        """An Explainer of the controller's current model (rebuilt when the model is swapped)."""
        model = self.controller.model
        if not isinstance(model, MLP):
            return None
        if self._explainer is None or self._explainer.model is not model:
            self._explainer = Explainer(model)
            self._reading = self._explanation = None
        return self._explainer

    def explain(self, reading: Reading) -> Explanation | None:
        explainer = self.explainer
        if explainer is None or reading.input is None:
            return None
        if reading is not self._reading:
            target, versus = reading.digit, reading.runner_up
            if target is None or versus is None or target == versus:
                target = versus = None
            self._explanation = explainer.explain(reading.input, target, versus)
            self._reading = reading
        return self._explanation

    def activation_scales(self, images: np.ndarray) -> list[float]:
        """The network view's fixed brightness per hidden layer for the current model, measured on
        `images` (n, 28, 28) once per model."""
        explainer = self.explainer
        if explainer is None:
            return []
        if self._scales is None or self._scales[0] is not explainer.model:
            self._scales = (explainer.model, explainer.activation_scales(images))
        return self._scales[1]
