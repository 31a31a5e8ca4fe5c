"""The verdict on a drawing: sure, unsure, not a digit (the app adds "empty" for a blank canvas).

A rule reads the network's raw outputs, logits (n, k) with k = 10 (digits) or 11 (digits and
"not a digit"):

1. temperature: logits / T (calibration, fitted on held-out writers; 1 = none);
2. not_digit when P(not a digit) (the 11th softmax output) >= not_digit_min, or when the top digit
   probability < not_digit_below, or when the two top digit probabilities together are below
   not_digit_top2_below (a flat output: no digit stands out, not even two that compete);
3. otherwise unsure when the top digit probability (softmax of the 10 digit logits) is below
   sure_min_probability or within near_tie_margin of the runner-up;
4. otherwise sure.

    rule = VerdictRule(not_digit_min=0.5)
    digits, runner_up, confidence, verdicts = rule.judge(logits)   # (n,) each; verdicts are strings

The thresholds are chosen by measurement (benchmarks/not_a_digit.py); ``to_metadata`` /
``from_metadata`` keep them with the weights.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

VERDICTS = ("sure", "unsure", "not_digit", "empty")
DIGITS = 10


@dataclass(frozen=True)
class VerdictRule:
    """Thresholds of the verdict (see the module docstring); None switches a test off.
    The defaults are the rule of before: sure or unsure, nothing is ever "not a digit"."""

    sure_min_probability: float = 0.5
    near_tie_margin: float = 0.2
    not_digit_min: float | None = None
    not_digit_below: float | None = None
    not_digit_top2_below: float | None = None
    temperature: float = 1.0

    def __post_init__(self) -> None:
        def probability(name: str, allow_none: bool) -> None:
            value = getattr(self, name)
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"verdict rule: {name} must be a probability in [0, 1], got {value!r}")

        probability("sure_min_probability", False)
        probability("near_tie_margin", False)
        probability("not_digit_min", True)
        probability("not_digit_below", True)
        probability("not_digit_top2_below", True)
        t = self.temperature
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0:
            raise ValueError(f"verdict rule: temperature must be a positive number, got {t!r}")

    def digit_probabilities(self, logits: np.ndarray) -> np.ndarray:
        """logits (n, k) -> the 10 digit probabilities (n, 10) after the temperature (renormalised
        over the digits when there is an 11th output)."""
        return _softmax(_as_logits(logits)[:, :DIGITS] / self.temperature)

    def not_digit_probability(self, logits: np.ndarray) -> np.ndarray | None:
        """logits (n, 11) -> P(not a digit) (n,) after the temperature; None for 10 outputs."""
        logits = _as_logits(logits)
        if logits.shape[1] == DIGITS:
            return None
        return _softmax(logits / self.temperature)[:, DIGITS]

    def judge(self, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """logits (n, k) -> (digit (n,), runner_up (n,), confidence (n,), verdict (n,) strings)."""
        logits = _as_logits(logits)
        p = self.digit_probabilities(logits)
        order = np.argsort(-p, axis=1, kind="stable")
        rows = np.arange(len(p))
        top, second = p[rows, order[:, 0]], p[rows, order[:, 1]]
        sure = (top >= self.sure_min_probability) & (top - second > self.near_tie_margin)
        verdict = np.where(sure, "sure", "unsure").astype("<U9")
        not_digit = np.zeros(len(p), bool)
        p_not = self.not_digit_probability(logits)
        if p_not is not None and self.not_digit_min is not None:
            not_digit |= p_not >= self.not_digit_min
        if self.not_digit_below is not None:
            not_digit |= top < self.not_digit_below
        if self.not_digit_top2_below is not None:
            not_digit |= top + second < self.not_digit_top2_below
        verdict[not_digit] = "not_digit"
        return order[:, 0], order[:, 1], top, verdict

    def to_metadata(self) -> dict:
        """{"verdict": {...thresholds}, "calibration": {"temperature": T}} for the weights' metadata."""
        thresholds = {k: v for k, v in dataclasses.asdict(self).items() if k != "temperature"}
        return {"verdict": thresholds, "calibration": {"temperature": float(self.temperature)}}

    @classmethod
    def from_metadata(cls, metadata: dict | None) -> "VerdictRule":
        """The rule stored in a weights file's metadata (the defaults where it stores none);
        ValueError naming the bad entry."""
        metadata = metadata or {}
        verdict = metadata.get("verdict") or {}
        calibration = metadata.get("calibration") or {}
        if not isinstance(verdict, dict) or not isinstance(calibration, dict):
            raise ValueError("verdict and calibration metadata must be JSON objects")
        known = {f.name for f in dataclasses.fields(cls)} - {"temperature"}
        unknown = sorted(set(verdict) - known)
        if unknown:
            raise ValueError(f"verdict rule: unknown setting {unknown[0]!r}")
        return cls(**verdict, temperature=calibration.get("temperature", 1.0))


def _as_logits(logits: np.ndarray) -> np.ndarray:
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 1:
        logits = logits[None, :]
    if logits.ndim != 2 or logits.shape[1] not in (DIGITS, DIGITS + 1):
        raise ValueError(f"expected logits (n, 10) or (n, 11), got shape {logits.shape}")
    return logits


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
