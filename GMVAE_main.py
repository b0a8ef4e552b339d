"""Train, restore and evaluate a Gaussian Mixture VAE (model_type 2: dense, 3: CNN). See README.md or --help."""
import sys

from base.console import quiet_console
from base.runner import main


def run(argv=None):
    quiet_console(argv)   # before the graphs import TensorFlow
    from Alg_GMVAE.GMVAECNN_graph import GMVAECNNGraph
    from Alg_GMVAE.GMVAE_graph import GMVAEGraph
    from Alg_GMVAE.GMVAE_model import GMVAEModel
    return main('GMVAE', {2: GMVAEGraph, 3: GMVAECNNGraph}, GMVAEModel, argv)


if __name__ == '__main__':
    sys.exit(run())
