"""Convolutional encoder and decoder for H x W x C images, H and W multiples of 4 (28x28, 28x20)."""
import keras

from networks.dense_net import ACTIVATION, dense_net

FILTERS = (32, 64)   # channels after the first and second stride-2 convolution


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
        keras.layers.Conv2D(c, 3, padding='same', name=f'{name}_pixels'),
    ], name=name)
