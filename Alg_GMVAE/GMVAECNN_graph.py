"""The GMVAE with convolutional networks (model_type 3): same maths as GMVAEGraph."""
from Alg_GMVAE.GMVAE_graph import GMVAEGraph


class GMVAECNNGraph(GMVAEGraph):
    """GMVAE with a convolutional encoder body and a transposed-convolution decoder."""

    network = 'cnn'
