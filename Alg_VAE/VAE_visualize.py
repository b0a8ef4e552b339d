"""Figures of a trained VAE: the shared ones of BaseVisualize."""
from base.base_visualize import BaseVisualize


class VAEVisualize(BaseVisualize):
    """Reconstructions, samples from N(0, I), the latent space coloured by label, loss curves."""
