"""TapsConv2D (networks/conv_net.py): the decoder's last convolution, as Keras's Conv2D up to float rounding."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from networks.conv_net import TapsConv2D


@pytest.mark.parametrize('shape, filters', [((5, 28, 28, 32), 1), ((3, 28, 20, 32), 1), ((2, 7, 5, 4), 3)])
def test_same_as_conv2d(shape, filters):
    keras.utils.set_random_seed(0)
    x = tf.random.stateless_normal(shape, seed=(1, 2))
    taps, conv = TapsConv2D(filters, 3, padding='same'), keras.layers.Conv2D(filters, 3, padding='same')
    taps.build(shape)
    conv.build(shape)
    conv.set_weights([w + 0.1 for w in taps.get_weights()])
    taps.set_weights(conv.get_weights())
    np.testing.assert_allclose(taps(x).numpy(), conv(x).numpy(), rtol=1e-5, atol=1e-5)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        losses = [tf.reduce_sum(tf.square(layer(x))) for layer in (taps, conv)]
    for a, b in zip(tape.gradient(losses[0], [x, taps.kernel]), tape.gradient(losses[1], [x, conv.kernel])):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5 * np.abs(b.numpy()).max())   # sums of ~1e4 terms
