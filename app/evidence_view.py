"""The evidence overlay on the grid (View > Evidence overlay, F3): why this digit and not the runner-up.

Each cell of 'What the network sees' is coloured by its evidence (`model.explain`: input x gradient
of the logit of the top digit minus the runner-up's, exact for the MLP): blue where the ink pushes
the reading toward the top digit, orange where it pushes toward the runner-up, the ink in light
grey underneath so strokes with little say stay visible. A legend under the grid names the two
digits. Computed only while the overlay is on, once per update (the window shares the explanation
with the network view through `app.insight`).
"""
from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from tkinter import ttk

import numpy as np

from app.theme import CARD, MUTED, PAD
from model import heatmaps
from model.explain import Explanation

#: The colour at full depth is this percentile of the non-zero |evidence|: one extreme pixel must
#: not wash the whole digit out.
SCALE_PERCENTILE = 98.0


def _hex(colour) -> str:
    return "#%02x%02x%02x" % tuple(int(c) for c in colour)


TOWARD_HEX = _hex(heatmaps.EVIDENCE_TOWARD)
AGAINST_HEX = _hex(heatmaps.EVIDENCE_AGAINST)


@dataclass(frozen=True)
class Evidence:
    """What the overlay shows for one reading: colours (28, 28, 3) uint8, the digits compared,
    the legend's two lines and a summary (the evidence's sum against the logit difference)."""

    colours: np.ndarray
    target: int
    versus: int
    toward: str
    against: str
    summary: str
    values: np.ndarray


def evidence(explanation: Explanation) -> Evidence:
    """The overlay for an explanation (see the module's docstring for the colours)."""
    values = explanation.evidence
    scale = heatmaps.symmetric_scale(values, SCALE_PERCENTILE)
    colours = heatmaps.evidence_rgb(values, scale, ink=explanation.image)
    target, versus = explanation.target, explanation.versus
    total = float(values.sum(dtype=np.float64))
    summary = (f"ink evidence {total:+.1f}, biases {explanation.bias_term:+.1f}: "
               f"{target} leads {versus} by {explanation.logit_difference:.1f} (logits)")
    return Evidence(colours, target, versus, f"pushes toward {target}", f"toward {versus}", summary, values)


def cell_evidence_text(ev: Evidence | None, row: int, col: int) -> str:
    """What hovering a cell adds while the overlay is on ('' when it is off or the cell is blank)."""
    if ev is None:
        return ""
    value = float(ev.values[row, col])
    if value == 0.0:
        return ""
    return f"; {value:+.2f} for {ev.target if value > 0 else ev.versus}"


class EvidenceLegend:
    """Two swatches under the grid: blue 'pushes toward 7', orange 'toward 1' (`frame`, laid out
    by the grid card in the hint's row while the overlay is on: it must not make the window taller)."""

    def __init__(self, parent: tk.Misc) -> None:
        self.frame = tk.Frame(parent, background=CARD)
        tk.Frame(self.frame, background=TOWARD_HEX, width=11, height=11).grid(row=0, column=0, padx=(0, 4))
        self.toward_label = ttk.Label(self.frame, text="", style="Muted.TLabel", foreground=TOWARD_HEX)
        self.toward_label.grid(row=0, column=1, sticky="w")
        tk.Frame(self.frame, background=AGAINST_HEX, width=11, height=11).grid(row=0, column=2, padx=(PAD + 4, 4))
        self.against_label = ttk.Label(self.frame, text="", style="Muted.TLabel", foreground=AGAINST_HEX)
        self.against_label.grid(row=0, column=3, sticky="w")
        self._shown: tuple[str, str] | None = None

    @property
    def text(self) -> tuple[str, str]:
        return self.toward_label.cget("text"), self.against_label.cget("text")

    def show(self, ev: Evidence | None) -> None:
        texts = ("nothing drawn yet", "") if ev is None else (ev.toward, ev.against)
        if texts != self._shown:  # a label change costs a relayout; most updates keep the digits
            self._shown = texts
            self.toward_label.configure(text=texts[0], foreground=MUTED if ev is None else TOWARD_HEX)
            self.against_label.configure(text=texts[1])
