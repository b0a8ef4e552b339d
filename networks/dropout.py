"""Inverted dropout whose masks come from the batch noise, so they do not depend on the replica split."""
import keras
import tensorflow as tf

from networks import batch_noise


class Dropout(keras.layers.Layer):
    """Zero each unit with probability `rate` in training and scale the others by 1 / (1 - rate): (B, ...) -> same.

    Within a training step the mask is drawn from the active `BatchNoise` (networks/batch_noise.py);
    a direct call in training mode outside one draws it from TensorFlow's global seed.
    """

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)

    def call(self, x, training=False):
        if not training or self.rate == 0:
            return x
        noise = batch_noise.active()
        u = noise.uniform(tf.shape(x)) if noise is not None else tf.random.uniform(tf.shape(x))
        return tf.where(u >= self.rate, x / (1.0 - self.rate), tf.zeros_like(x))

    def get_config(self):
        return dict(super().get_config(), rate=self.rate)
