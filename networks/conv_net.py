"""Convolutional encoder and decoder for H x W x C images, H and W multiples of 4 (28x28, 28x20)."""
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


def _check_shape(image_shape):
    h, w, _ = image_shape
    if h % 4 or w % 4:
        raise ValueError(f'the CNN networks need image sides that are multiples of 4, got {h}x{w}')


def conv_encoder(image_shape, hidden_dim, num_layers, drop_prob, name='encoder'):
    """(B, H, W, C) -> (B, hidden_dim): two stride-2 convolutions (H/4 x W/4 x 64), then dense layers."""
    _check_shape(image_shape)
    return keras.Sequential([
        keras.layers.Conv2D(FILTERS[0], 3, strides=2, padding='same', activation=ACTIVATION, name=f'{name}_conv1'),
        keras.layers.Conv2D(FILTERS[1], 3, strides=2, padding='same', activation=ACTIVATION, name=f'{name}_conv2'),
        dense_net(hidden_dim, num_layers, drop_prob, f'{name}_dense'),
    ], name=name)


def conv_decoder(image_shape, hidden_dim, num_layers, drop_prob, name='decoder'):
    """(B, latent) -> (B, H, W, C) unconstrained pixel parameters, mirroring `conv_encoder`."""
    _check_shape(image_shape)
    h, w, c = image_shape
    return keras.Sequential([
        dense_net(hidden_dim, num_layers, drop_prob, f'{name}_dense'),
        keras.layers.Dense((h // 4) * (w // 4) * FILTERS[1], activation=ACTIVATION, name=f'{name}_project'),
        keras.layers.Reshape((h // 4, w // 4, FILTERS[1])),
        keras.layers.Conv2DTranspose(FILTERS[1], 3, strides=2, padding='same', activation=ACTIVATION, name=f'{name}_deconv1'),
        keras.layers.Conv2DTranspose(FILTERS[0], 3, strides=2, padding='same', activation=ACTIVATION, name=f'{name}_deconv2'),
        TapsConv2D(c, 3, padding='same', name=f'{name}_pixels'),
    ], name=name)
