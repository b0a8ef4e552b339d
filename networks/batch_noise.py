"""Random numbers drawn for a whole global batch, of which each replica keeps its own rows.

Under tf.distribute a global batch of `size` images is split over replicas, replica r taking rows
start:end. If each replica drew noise for its rows alone, the numbers would depend on the split.
Here every draw is made for all `size` rows by a counter-based (stateless) generator keyed by the
step's seed and the draw's number, and the replica keeps rows start:end: one device and N replicas
give each image the same noise, so training does not change with the replica count.

The training and evaluation steps open `batch_noise(...)` around the graph; `BaseGraph.standard_normal`
and `networks.dropout.Dropout` draw from `active()`, and fall back to their own generators outside.
"""
import contextlib

import tensorflow as tf

# Philox, named: left to choose, XLA on CPU takes ThreeFry, which made the Bernoulli VAE's step 3x slower.
ALGORITHM = 'philox'

_stack = []


class BatchNoise:
    """Draws of shape (rows, ...) = rows start:end of one draw of shape (size, ...), keyed by (seed, draw number)."""

    def __init__(self, seed, size, start, end):
        self.seed = seed           # (2,) int64
        self.size = size           # global batch size, int32 scalar
        self.start, self.end = start, end
        self.draws = 0

    def _rows(self, draw, shape):
        self.draws += 1
        key = tf.random.experimental.stateless_fold_in(self.seed, self.draws, alg=ALGORITHM)
        full_shape = tf.concat([[self.size], tf.cast(shape[1:], tf.int32)], 0)
        return draw(full_shape, seed=key, alg=ALGORITHM)[self.start:self.end]

    def normal(self, shape):
        """N(0, 1) draws of `shape` (this replica's rows first)."""
        return self._rows(tf.random.stateless_normal, shape)

    def uniform(self, shape):
        """U[0, 1) draws of `shape` (this replica's rows first)."""
        return self._rows(tf.random.stateless_uniform, shape)


@contextlib.contextmanager
def batch_noise(seed, size):
    """The current replica's `BatchNoise` of a global batch of `size` (its rows: `replica_rows`), made the
    active noise while tracing the enclosed step; its `start` and `end` say which rows the replica takes."""
    _stack.append(BatchNoise(seed, size, *replica_rows(size)))
    try:
        yield _stack[-1]
    finally:
        _stack.pop()


def active():
    """The innermost active `BatchNoise`, or None."""
    return _stack[-1] if _stack else None


def replica_rows(size):
    """Rows start:end of a global batch of `size` that the current replica takes (near-equal, consecutive)."""
    context = tf.distribute.get_replica_context()
    replica = tf.cast(context.replica_id_in_sync_group, tf.int32)
    replicas = context.num_replicas_in_sync
    return size * replica // replicas, size * (replica + 1) // replicas
