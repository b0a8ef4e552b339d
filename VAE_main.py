"""Train, restore and evaluate a VAE (model_type 0: dense, 1: CNN). See README.md or --help."""
import sys

from base.runner import main


def classes():
    """The graph classes by model_type and the model class; importing them imports TensorFlow."""
    from Alg_VAE.VAECNN_graph import VAECNNGraph
    from Alg_VAE.VAE_graph import VAEGraph
    from Alg_VAE.VAE_model import VAEModel
    return {0: VAEGraph, 1: VAECNNGraph}, VAEModel


def run(argv=None):
    return main('VAE', classes, argv)


if __name__ == '__main__':
    sys.exit(run())
