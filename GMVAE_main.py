"""Train, restore and evaluate a Gaussian Mixture VAE (model_type 2: dense, 3: CNN). See README.md or --help."""
import sys

from base.runner import main


def classes():
    """The graph classes by model_type and the model class; importing them imports TensorFlow."""
    from Alg_GMVAE.GMVAECNN_graph import GMVAECNNGraph
    from Alg_GMVAE.GMVAE_graph import GMVAEGraph
    from Alg_GMVAE.GMVAE_model import GMVAEModel
    return {2: GMVAEGraph, 3: GMVAECNNGraph}, GMVAEModel


def run(argv=None):
    return main('GMVAE', classes, argv)


if __name__ == '__main__':
    sys.exit(run())
