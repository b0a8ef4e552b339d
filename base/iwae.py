"""Importance-weighted estimate of log p(x) (Burda, Grosse & Salakhutdinov 2016).

    log w_i = log p(x, h_i) - log q(h_i|x),  h_i ~ q(h|x)   (BaseGraph.log_importance_weights)
    L_k(x)  = E[log (1/k) sum_i w_i] <= log p(x)

L_1 is the ELBO, L_k grows with k and tends to log p(x). One draw of the k weights of each image
estimates L_k as logsumexp_i(log w_i) - log k. The weights are drawn in chunks of images and of
samples, and the chunks of samples are combined by a running logsumexp, so memory stays bounded
whatever k (about IMAGE_CHUNK * SAMPLE_CHUNK decoded images at a time).
"""
import math
import sys

import numpy as np
import tensorflow as tf
from tqdm import tqdm

IMAGE_CHUNK = 100    # images per compiled call
SAMPLE_CHUNK = 100   # samples of each image drawn at once inside a call


def log_likelihood(log_weights, x, samples, image_chunk=IMAGE_CHUNK, sample_chunk=SAMPLE_CHUNK, progress=False):
    """Per-image estimates of log p(x) in nats from `samples` importance samples each: x (N, H, W, C) -> (N,).

    `log_weights(x, s)` gives the log weights of s joint samples of each image of a chunk x (B, H, W, C),
    shape (s, B): e.g. BaseGraph.log_importance_weights. `progress` shows a bar over the images.
    """
    if samples < 1:
        raise ValueError(f'need at least one importance sample, got {samples}')
    estimate = tf.function(lambda chunk: _log_mean_weight(log_weights, chunk, samples, sample_chunk),
                           reduce_retracing=True)
    out = []
    with tqdm(total=len(x), desc=f'IWAE log p(x), k={samples}', unit='image', file=sys.stderr,
              leave=False, mininterval=1.0, disable=not progress) as bar:
        for start in range(0, len(x), image_chunk):
            out.append(estimate(tf.constant(x[start:start + image_chunk])).numpy())
            bar.update(len(out[-1]))
    return np.concatenate(out) if out else np.zeros((0,), np.float32)


def _log_mean_weight(log_weights, x, samples, sample_chunk):
    """log (1/samples) sum_i w_i for each image of x (B, ...), drawing `sample_chunk` weights at a time: -> (B,)."""
    total = tf.fill(tf.shape(x)[:1], -math.inf)   # running logsumexp of the weights drawn so far
    for start in tf.range(0, samples, sample_chunk):
        chunk = tf.reduce_logsumexp(log_weights(x, tf.minimum(sample_chunk, samples - start)), axis=0)
        total = tf.reduce_logsumexp(tf.stack([total, chunk]), axis=0)
    return total - math.log(samples)
