"""The training images resident on the device as uint8 codes, a quarter of float32's memory, decoded
exactly batch by batch.

The loaders (utils/data.py) give float32 images whose pixels are k / 255 (k in 0..255, divided in
float32). Where every pixel of x is such a value, `encode` keeps the codes k, (N, H, W, C) uint8, and
`decode` looks each up in LEVELS: the same float32 numbers, so training does not change. Any other
images (generated ones, say) stay float32.
"""
import numpy as np
import tensorflow as tf

LEVELS = np.arange(256, dtype=np.float32) / np.float32(255)   # bit for bit the loaders' k / 255
CHUNK = 4096    # images checked at a time, so that the check needs little memory beside x


def encode(x):
    """x (N, H, W, C) float32 -> its codes, uint8 of the same shape; x itself where a pixel is not some k / 255."""
    codes = np.empty(x.shape, np.uint8)
    for start in range(0, len(x), CHUNK):
        part = x[start:start + CHUNK]
        k = np.rint(part * np.float32(255))
        if not np.all((k >= 0) & (k <= 255)):   # also False for NaN
            return x
        codes[start:start + CHUNK] = k
        if not np.array_equal(LEVELS[codes[start:start + CHUNK]], part):
            return x
    return codes


def decode(batch):
    """A batch of `encode`'s result (B, H, W, C) -> float32 images; a float32 batch is returned as it is."""
    if batch.dtype == tf.uint8:
        return tf.gather(LEVELS, tf.cast(batch, tf.int32))
    return batch
