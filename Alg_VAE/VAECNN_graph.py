"""The VAE with convolutional networks (model_type 1): same maths as VAEGraph."""
from Alg_VAE.VAE_graph import VAEGraph


class VAECNNGraph(VAEGraph):
    """VAE with a convolutional encoder and a transposed-convolution decoder."""

    network = 'cnn'
