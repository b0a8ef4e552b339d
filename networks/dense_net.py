"""Dense building blocks: a stack of ReLU layers with dropout."""
import keras

from networks.dropout import Dropout


def dense_net(hidden_dim, num_layers, drop_prob, name):
    """`num_layers` x (Dense(hidden_dim, relu), Dropout(drop_prob)): (B, ...) -> (B, hidden_dim).

    Inputs of rank > 2 (images) are flattened first.
    """
    layers = [keras.layers.Flatten()]
    for i in range(num_layers):
        layers.append(keras.layers.Dense(hidden_dim, activation='relu', name=f'{name}_dense{i + 1}'))
        if drop_prob > 0:
            layers.append(Dropout(drop_prob))
    return keras.Sequential(layers, name=name)


def dense_decoder(image_shape, hidden_dim, num_layers, drop_prob, name='decoder'):
    """(B, latent) -> (B, H, W, C) unconstrained pixel parameters (logits or pre-sigmoid means)."""
    body = dense_net(hidden_dim, num_layers, drop_prob, f'{name}_body')
    h, w, c = image_shape
    return keras.Sequential([body, keras.layers.Dense(h * w * c, name=f'{name}_pixels'),
                             keras.layers.Reshape(image_shape)], name=name)
