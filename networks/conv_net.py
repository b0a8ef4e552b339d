"""Convolutional encoder and decoder for H x W x C images of any size (8x8 to 128x128 and beyond) and channels.

The encoder's two stride-2 'same' convolutions take H x W to ceil(H/2) x ceil(W/2), then to
ceil(H/4) x ceil(W/4) (`coded_side`). The decoder mirrors them: it projects to ceil(H/4) x ceil(W/4) x 64,
upsamples twice to 4 ceil(H/4) x 4 ceil(W/4) x 32, and where that is larger than H x W (sides that are
not multiples of 4) crops the 1 to 3 extra rows or columns, centred (the odd one at the bottom or right),
before its last convolution to the C channels. For multiples of 4 (MNIST 28x28, FREY 28x20) there is no
crop layer at all, not even an empty one: checkpoints name layers by their position, and these sizes keep
the layers, variables, numbers and checkpoints of before any size was taken.
"""
import math

import keras
import tensorflow as tf

from networks.dense_net import ACTIVATION, dense_net

FILTERS = (32, 64)   # channels after the first and second stride-2 convolution


@tf.function(jit_compile=True)
def _taps(h, kernel):
    """'same' stride-1 convolution: h (B, H, W, C), kernel (kh, kw, C, O), kh and kw odd -> (B, H, W, O).

    One matrix product gives every pixel's kh * kw taps, (kh * kw * O, C) x (C, B * H * W); the taps,
    shifted into place, are then summed.
    """
    height, width, channels = h.shape[1:]
    kh, kw, _, out = kernel.shape
    taps = tf.matmul(tf.reshape(tf.transpose(kernel, (0, 1, 3, 2)), (kh * kw * out, channels)),
                     tf.reshape(h, (-1, channels)), transpose_b=True)
    taps = tf.pad(tf.reshape(taps, (kh * kw, out, -1, height, width)),
                  [[0, 0], [0, 0], [0, 0], [kh // 2, kh // 2], [kw // 2, kw // 2]])
    summed = tf.add_n([taps[i * kw + j, :, :, i:i + height, j:j + width] for i in range(kh) for j in range(kw)])
    return tf.transpose(summed, (1, 2, 3, 0))


class TapsConv2D(keras.layers.Conv2D):
    """A Conv2D ('same', stride 1, odd kernel, channels last) to few channels, computed by `_taps` under XLA.

    oneDNN's convolution to one channel runs at a few GFLOP/s on CPU: the decoder's last layer took
    a fifth of a CNN step for 2% of its arithmetic. The same sums in another order (float rounding
    apart, the same layer with the same variables).
    """

    def convolution_op(self, inputs, kernel):
        return _taps(inputs, tf.convert_to_tensor(kernel))


def coded_side(side):
    """Side of the encoder's last feature map, and of the decoder's first, for an image side: ceil(side / 4)."""
    return -(-side // 4)


def _crop(image_shape, name):
    """[the centred Cropping2D of the decoder's 4 ceil(H/4) x 4 ceil(W/4) maps to H x W], or [] for multiples of 4."""
    excess = [4 * coded_side(side) - side for side in image_shape[:2]]
    return [keras.layers.Cropping2D([(e // 2, e - e // 2) for e in excess], name=name)] if any(excess) else []


def conv_encoder(hidden_dim, num_layers, drop_prob, name='encoder'):
    """(B, H, W, C) -> (B, hidden_dim): two stride-2 convolutions (ceil(H/4) x ceil(W/4) x 64), then dense layers."""
    return keras.Sequential([
        keras.layers.Conv2D(FILTERS[0], 3, strides=2, padding='same', activation=ACTIVATION, name=f'{name}_conv1'),
        keras.layers.Conv2D(FILTERS[1], 3, strides=2, padding='same', activation=ACTIVATION, name=f'{name}_conv2'),
        dense_net(hidden_dim, num_layers, drop_prob, f'{name}_dense'),
    ], name=name)


def conv_decoder(image_shape, hidden_dim, num_layers, drop_prob, name='decoder'):
    """(B, latent) -> (B, H, W, C) unconstrained pixel parameters, mirroring `conv_encoder`.

    Dense layers to (B, hidden_dim), a projection to (B, ceil(H/4), ceil(W/4), 64), two transposed convolutions
    to (B, 4 ceil(H/4), 4 ceil(W/4), 32), cropped to (B, H, W, 32) where the sides are not multiples of 4 (see
    the module docstring), and a convolution to (B, H, W, C).
    """
    h, w, c = image_shape
    coded = (coded_side(h), coded_side(w), FILTERS[1])
    return keras.Sequential([
        dense_net(hidden_dim, num_layers, drop_prob, f'{name}_dense'),
        keras.layers.Dense(math.prod(coded), activation=ACTIVATION, name=f'{name}_project'),
        keras.layers.Reshape(coded),
        keras.layers.Conv2DTranspose(FILTERS[1], 3, strides=2, padding='same', activation=ACTIVATION, name=f'{name}_deconv1'),
        keras.layers.Conv2DTranspose(FILTERS[0], 3, strides=2, padding='same', activation=ACTIVATION, name=f'{name}_deconv2'),
        *_crop(image_shape, f'{name}_crop'),
        TapsConv2D(c, 3, padding='same', name=f'{name}_pixels'),
    ], name=name)
