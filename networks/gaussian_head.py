"""A dense layer pair giving the mean and log-variance of a diagonal Gaussian."""
import keras
import tensorflow as tf

MIN_VARIANCE = 1e-6


class GaussianHead(keras.layers.Layer):
    """(B, hidden) -> mean (B, dim), log_var (B, dim); variance = softplus(.) + 1e-6, so it never reaches 0."""

    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.mean = keras.layers.Dense(dim, name='mean')
        self.raw_variance = keras.layers.Dense(dim, name='variance')

    def call(self, h):
        variance = tf.nn.softplus(self.raw_variance(h)) + MIN_VARIANCE
        return self.mean(h), tf.math.log(variance)
