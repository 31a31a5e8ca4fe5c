"""The weights that ship in weights/mlp.npz: loadable, self-describing, and good at MNIST."""
import json

import numpy as np

from model.data import read_npz
from model.weights_io import FORMAT_VERSION, load_weights
from preprocessing.pipeline import DEFAULT_SETTINGS, PipelineSettings

MAX_FILE_BYTES = 5 * 1024 * 1024


def test_bundled_weights_read_the_committed_mnist_test_sample(bundled_weights, test_data_dir):
    model, _ = load_weights(bundled_weights)
    images, labels = read_npz(test_data_dir / "mnist_test_sample.npz")
    assert images.shape == (2000, 28, 28)
    predictions = model.predict(images.reshape(len(images), -1).astype(np.float32) / 255)
    accuracy = float(np.mean(predictions == labels))
    assert accuracy >= 0.975, f"bundled weights read {accuracy:.2%} of the 2,000-image MNIST sample"


def test_bundled_weights_describe_themselves(bundled_weights):
    _, metadata = load_weights(bundled_weights)
    assert metadata["format_version"] == FORMAT_VERSION
    assert metadata["layer_sizes"][0] == 784 and metadata["layer_sizes"][-1] == 10
    # The app feeds the model with the settings it was trained for, so they must parse...
    settings = PipelineSettings.from_dict(metadata["preprocessing"])
    # ...and a retrain with today's defaults feeds it the same way.
    assert settings == DEFAULT_SETTINGS
    assert 0.985 <= metadata["results"]["mnist_test_accuracy"] <= 1.0
    assert metadata["training"]["recipe"], "no recipe: `python train.py` could not reproduce it"
    assert len(metadata["data"]["sha256"]) == 4
    json.dumps(metadata)  # plain JSON all the way down


def test_bundled_weights_file_is_small(bundled_weights):
    assert bundled_weights.stat().st_size <= MAX_FILE_BYTES
