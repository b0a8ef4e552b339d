"""Dense building blocks: a stack of leaky-ReLU layers with dropout."""
import keras

from networks.dropout import Dropout

# Every hidden layer (dense and convolutional) uses leaky ReLU, slope 0.2 below zero. With plain ReLU the
# spec's settings (sigma 0.001 scales the reconstruction gradient by 1/sigma, Adam at l_rate 0.01) silence
# units in the first steps for good, and the CNN models then decode the mean face whatever z is (the spec's
# FREY GMVAE, seed 1 of the seeds 0-2 tried; README "Why the spec's examples train well").
ACTIVATION = 'leaky_relu'


def dense_net(hidden_dim, num_layers, drop_prob, name):
    """`num_layers` x (Dense(hidden_dim, leaky ReLU), Dropout(drop_prob)): (B, ...) -> (B, hidden_dim).

    Inputs of rank > 2 (images) are flattened first.
    """
    layers = [keras.layers.Flatten()]
    for i in range(num_layers):
        layers.append(keras.layers.Dense(hidden_dim, activation=ACTIVATION, name=f'{name}_dense{i + 1}'))
        if drop_prob > 0:
            layers.append(Dropout(drop_prob))
    return keras.Sequential(layers, name=name)


def dense_decoder(image_shape, hidden_dim, num_layers, drop_prob, name='decoder'):
    """(B, latent) -> (B, H, W, C) unconstrained pixel parameters (logits or pre-sigmoid means)."""
    body = dense_net(hidden_dim, num_layers, drop_prob, f'{name}_body')
    h, w, c = image_shape
    return keras.Sequential([body, keras.layers.Dense(h * w * c, name=f'{name}_pixels'),
                             keras.layers.Reshape(image_shape)], name=name)
