"""Train, restore and evaluate a VAE (model_type 0: dense, 1: CNN). See README.md or --help."""
import sys

from base.console import quiet_console
from base.runner import main


def run(argv=None):
    quiet_console(argv)   # before the graphs import TensorFlow
    from Alg_VAE.VAECNN_graph import VAECNNGraph
    from Alg_VAE.VAE_graph import VAEGraph
    from Alg_VAE.VAE_model import VAEModel
    return main('VAE', {0: VAEGraph, 1: VAECNNGraph}, VAEModel, argv)


if __name__ == '__main__':
    sys.exit(run())
