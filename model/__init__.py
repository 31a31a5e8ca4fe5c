"""Digit Pad's network: a from-scratch NumPy multilayer perceptron, its training and its files."""

#: The version of Digit Pad (the package's single source; pyproject.toml reads it).
__version__ = "0.2.0"

from model.layers import BatchNorm, Dense, Dropout, ReLU
from model.losses import log_softmax, softmax, softmax_cross_entropy
from model.mlp import MLP
from model.optim import SGD, Adam, LearningRateSchedule
from model.evaluation import Evaluation, evaluate
from model.recipe import Recipe
from model.training import BatchProgress, FitResult, build_model, fit
from model.weights_io import (BUNDLED_WEIGHTS, FORMAT_VERSION, WeightsError, export_csv, import_csv,
                              load_weights, save_weights)

__all__ = [
    "Adam", "BUNDLED_WEIGHTS", "BatchNorm", "BatchProgress", "Dense", "Dropout", "Evaluation", "FORMAT_VERSION",
    "FitResult", "LearningRateSchedule", "MLP", "ReLU", "Recipe", "SGD", "WeightsError", "build_model",
    "evaluate", "export_csv", "fit", "import_csv", "load_weights", "log_softmax", "save_weights", "softmax",
    "softmax_cross_entropy",
]
