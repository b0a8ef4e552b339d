"""Network modules shared by the VAE and GMVAE graphs."""
from networks.conv_net import conv_decoder, conv_encoder
from networks.dense_net import dense_decoder, dense_net
from networks.gaussian_head import GaussianHead


def encoder_body(network, hidden_dim, num_layers, drop_prob, name='encoder'):
    """(B, H, W, C) -> (B, hidden_dim), dense ('dense') or convolutional ('cnn'), for images of any H, W, C."""
    if network == 'cnn':
        return conv_encoder(hidden_dim, num_layers, drop_prob, name)
    return dense_net(hidden_dim, num_layers, drop_prob, name)


def decoder(network, image_shape, hidden_dim, num_layers, drop_prob, name='decoder'):
    """(B, latent) -> (B, H, W, C) unconstrained pixel parameters."""
    build = conv_decoder if network == 'cnn' else dense_decoder
    return build(image_shape, hidden_dim, num_layers, drop_prob, name)


__all__ = ['GaussianHead', 'encoder_body', 'decoder', 'dense_net']
