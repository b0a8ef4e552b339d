"""The training images resident as uint8 codes (base/resident_images.py): exact, or float32 where not."""
import numpy as np
import tensorflow as tf

from base import resident_images
from tests.conftest import blobs
from tests.test_model import make_model
from utils.data import Dataset, Split
from utils.images import to_unit


def quantised(n, shape=(28, 28)):
    """Images as the loaders give them: k / 255 in float32, from the uint8 k."""
    x, y = blobs(n, shape)
    return to_unit(np.rint(x * 255).astype(np.uint8)), y


def test_levels_are_the_loaders_values():
    np.testing.assert_array_equal(resident_images.LEVELS, to_unit(np.arange(256, dtype=np.uint8)))


def test_codes_decode_to_the_same_floats():
    x, _ = quantised(50)
    codes = resident_images.encode(x)
    assert codes.dtype == np.uint8 and codes.shape == x.shape
    np.testing.assert_array_equal(resident_images.decode(tf.constant(codes)).numpy(), x)


def test_other_images_stay_float():
    x, _ = blobs(20, (28, 20))
    assert resident_images.encode(x) is x
    x = np.full((3, 4, 4, 1), np.nan, np.float32)
    assert resident_images.encode(x) is x
    assert resident_images.decode(tf.constant(x)).dtype == tf.float32


def test_training_on_codes_is_training_on_floats(tmp_path):
    x, y = quantised(200)
    dataset = Dataset('MNIST', Split(x[:120], y[:120]), Split(x[120:160], y[120:160]), Split(x[160:], y[160:]))
    results = []
    for resident in ('codes', 'floats'):
        model, _ = make_model(tmp_path / resident, dataset=dataset)
        assert model.x_train.dtype == tf.uint8
        if resident == 'floats':
            model.x_train = tf.Variable(x[:120], trainable=False)
        terms = model._train_epoch(0, 7)
        results.append((terms, [w.numpy() for w in model.graph.weights]))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)
