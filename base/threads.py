"""How many threads one TensorFlow op may use (the intra-op pool), chosen from the size of a training step.

A step of a small dense network is about a hundred XLA kernels of a few microseconds each. With
TensorFlow's default pool (one thread per core) XLA's CPU runtime splits the larger ones between
the threads, and on a small step the hand-offs cost more than they save: on 2 cores the spec VAE
(batch 32) trains 1.6x faster with one intra-op thread, where XLA still runs independent kernels
side by side on the caller's thread and the pool's (benchmarks/throughput.py). Convolutions and
large matrix products gain from every core, so the CNNs and the larger dense steps keep the default.

The choice is made once per process, before TensorFlow starts its pools; TF_NUM_INTRAOP_THREADS,
when set, is the user's and wins.
"""
import math
import os

from utils.constants import MODEL_TYPES

SMALL_STEP_MACS = 4_000_000   # multiply-adds of a step's largest matrix product below which one thread is faster


def largest_product(args, image_shape):
    """Multiply-adds of a dense step's largest matrix product (first and last layer): batch x pixels x hidden_dim."""
    return args.batch_size * math.prod(image_shape) * args.hidden_dim


def intra_op_threads(args, image_shape):
    """1 for the dense networks whose steps are small (see the module's docstring), else None (TensorFlow's default)."""
    if MODEL_TYPES[args.model_type].network != 'dense':
        return None
    return 1 if largest_product(args, image_shape) < SMALL_STEP_MACS else None


def configure(args, image_shape):
    """Set TensorFlow's intra-op pool for this run where `intra_op_threads` says so; returns the threads chosen
    (None: TensorFlow's default, also where TF_NUM_INTRAOP_THREADS is set or TensorFlow has started already)."""
    import tensorflow as tf
    threads = intra_op_threads(args, image_shape)
    if threads is None or 'TF_NUM_INTRAOP_THREADS' in os.environ:
        return None
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    except RuntimeError:   # TensorFlow's runtime is running: its pool stays as it is
        return None
    return threads
