"""The Keras peer: the keras.io VAE pattern, a `keras.Model` with its own `train_step`, run by `model.fit`.

The encoder, heads and decoder are the project's own layers (networks/), so the arithmetic of a
step is the production one; what differs is the machinery: Keras's `fit` loop over the numpy
images (its data adapter shuffles and batches them each epoch) with `compile`'s defaults (on a CPU
Keras 3 does not use XLA) and `steps_per_execution` steps per call of its train function.
"""
import math

import keras
import tensorflow as tf
from keras import ops

import networks
from benchmarks.peers import HIDDEN, LAYERS, LEARNING_RATE, SIGMA, Z_DIM


class KerasVAE(keras.Model):
    """encoder (B, 28, 28, 1) -> q(z|x), decoder z -> logits (B, 28, 28, 1); trained on -ELBO by `train_step`."""

    def __init__(self, network, image_shape, **kwargs):
        super().__init__(**kwargs)
        self.encoder = networks.encoder_body(network, HIDDEN, LAYERS, 0.0)
        self.head = networks.GaussianHead(Z_DIM)
        self.decoder = networks.decoder(network, image_shape, HIDDEN, LAYERS, 0.0)
        self.seed = keras.random.SeedGenerator(0)
        self.loss_tracker = keras.metrics.Mean(name='loss')
        self.pixels = math.prod(image_shape)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def call(self, x):
        mean, log_var = self.head(self.encoder(x))
        z = mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean), seed=self.seed)
        return mean, log_var, self.decoder(z)

    def train_step(self, x):
        with tf.GradientTape() as tape:
            mean, log_var, logits = self(x, training=True)
            reconstruction = (0.5 * ops.sum(ops.square(x - ops.sigmoid(logits)), axis=(1, 2, 3)) / SIGMA
                              + 0.5 * self.pixels * math.log(2 * math.pi * SIGMA))
            kl = 0.5 * ops.sum(ops.exp(log_var) + ops.square(mean) - 1.0 - log_var, axis=-1)
            loss = ops.mean(reconstruction + kl)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        return {'loss': self.loss_tracker.result()}


class KerasFit:
    """The Keras peer for model_type 0 ('dense') or 1 ('cnn'), `steps_per_execution` steps per call."""

    def __init__(self, network, x, batch_size, steps_per_execution=1):
        self.x = x
        self.batch_size = batch_size
        self.model = KerasVAE(network, x.shape[1:])
        self.model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), steps_per_execution=steps_per_execution)

    def train(self, epoch, steps):
        """`steps` steps of `fit` (one epoch of it) on the first steps * batch_size images: -> loss."""
        x = self.x[:steps * self.batch_size]
        history = self.model.fit(x, batch_size=self.batch_size, epochs=1, shuffle=True, verbose=0)
        return history.history['loss'][-1]
