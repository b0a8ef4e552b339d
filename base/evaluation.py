"""Evaluation: the mean of every -ELBO term over a set of images, and batch-wise prediction."""
import contextlib

import numpy as np
import tensorflow as tf

from networks import batch_noise

EVAL_BATCH = 1000       # images per evaluation call


def binarize(x, rng):
    """Bernoulli draw of each pixel with probability x: (N, H, W, C) in [0,1] -> {0., 1.}."""
    return (rng.uniform(size=x.shape) < x).astype(np.float32)



class Evaluation:
    """BaseModel's evaluation: uses self.graph, self.names, self.config and `_summed_over_replicas`."""

    @tf.function(reduce_retracing=True)
    def _eval_sums(self, x, seed):
        """Sum over the batch x (B, H, W, C), split over the replicas, of each term and of the loss (-ELBO)."""
        return self._summed_over_replicas(self._replica_eval_sums, x, seed)

    def _replica_eval_sums(self, x, seed):
        """Sums over this replica's rows of x, in the order of `names` (noise keyed by `seed`): -> (names,)."""
        with batch_noise.batch_noise(seed, tf.shape(x)[0]) as noise:
            terms = self.graph.per_example_terms(x[noise.start:noise.end], training=False)
        sums = [tf.reduce_sum(terms[name]) for name in self.graph.term_names]
        return tf.stack([tf.add_n(sums)] + sums)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, x):
        """Mean of each term and of the loss (-ELBO) over images x (N, H, W, C), in nats.

        The noise of the images from `start` on is keyed by (--seed, -1 - start): the same images get
        the same noise every time, so successive validation losses differ by the weights only.
        """
        totals = np.zeros(len(self.names))
        for start in range(0, len(x), EVAL_BATCH):
            seed = tf.constant([self.config.seed, -1 - start], tf.int64)
            totals += self._eval_sums(tf.constant(x[start:start + EVAL_BATCH]), seed).numpy()
        return {name: float(total) / len(x) for name, total in zip(self.names, totals)}

    def predict(self, fn, x, batch=EVAL_BATCH, key=None):
        """Apply a graph method `batch` images at a time: fn((B, H, W, C)) -> (B, ...); returns a numpy array.

        With a key, the noise fn draws for the images from `start` on is keyed by (key, start)
        (networks/batch_noise.py): the same weights give the same numbers whatever ran before.
        """
        parts = []
        for start in range(0, len(x), batch):
            images = tf.constant(x[start:start + batch])
            keyed = (contextlib.nullcontext() if key is None else
                     batch_noise.batch_noise(tf.constant([key, start], tf.int64), tf.shape(images)[0]))
            with keyed:
                parts.append(np.asarray(fn(images)))
        return np.concatenate(parts)

