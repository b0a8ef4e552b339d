"""Figures of a trained VAE: the shared ones of BaseVisualize plus, for a 2-D latent space, the manifold."""
import numpy as np
from scipy.stats import norm

from base.base_visualize import BaseVisualize, image_grid


def latent_grid(side: int) -> np.ndarray:
    """z of a side x side grid of the latent plane at evenly spaced quantiles of N(0, 1): (side * side, 2).

    Row-major: z_1 grows along a row, z_2 falls down the columns (as on a plot).
    """
    quantiles = norm.ppf((np.arange(side) + 0.5) / side)
    z1, z2 = np.meshgrid(quantiles, quantiles[::-1])
    return np.stack([z1.ravel(), z2.ravel()], axis=1).astype(np.float32)


class VAEVisualize(BaseVisualize):
    """Reconstructions, samples from N(0, I), interpolations, the latent space coloured by label, loss
    curves, and for z_dim == 2 the decoded manifold."""

    def manifold(self, images, side: int) -> str:
        """Images decoded from latent_grid(side), (side * side, H, W[, C]) -> '..._manifold.png'."""
        fig = image_grid(images, nrows=side, ncols=side,
                         title='Learned manifold: decoded z over a grid of N(0, 1) quantiles')
        return self.save(fig, 'manifold')
