"""Training and evaluation of the VAE: the shared loop of BaseModel plus k-means clustering of z,
and for a 2-D latent space the decoded manifold figure."""
import numpy as np

from Alg_VAE.VAE_visualize import VAEVisualize, latent_grid
from base.base_model import BaseModel
from utils.clusterers import kmeans
from utils.metrics import clustering_scores

MANIFOLD_SIDE = 20   # the manifold figure decodes a MANIFOLD_SIDE x MANIFOLD_SIDE grid of z


class VAEModel(BaseModel):
    """VAE training; its results add k-means clustering scores of the test latent means (k = the number of
    classes among the test labels, 10 for MNIST) and, for z_dim == 2, the manifold figure."""

    visualizer_class = VAEVisualize
    table_name = 'latents.csv'

    def image_columns(self, x, split):
        """The mean of q(z|x) of each image, one column per dimension: z0, z1, ..."""
        z = self.test_z if split == 'test' else self.predict(self.graph.latent_mean, x)
        return {f'z{i}': z[:, i] for i in range(z.shape[1])}

    def extra_metrics(self, metrics):
        y = self.data.test.y
        if y is None:
            return {}
        n_clusters = min(len(np.unique(y)), len(self.test_z))   # one per class: 10 for MNIST
        clusters = kmeans(self.test_z, n_clusters, self.config.seed).labels_
        return {f'test/kmeans_{k}': v for k, v in clustering_scores(y, clusters).items()}

    def make_figures(self, vis):
        """The base figures, plus for z_dim == 2 the images decoded over a grid of the latent plane."""
        paths = super().make_figures(vis)
        if self.graph.z_dim == 2:
            paths.append(vis.manifold(self.predict(self.graph.decode, latent_grid(MANIFOLD_SIDE)), MANIFOLD_SIDE))
        return paths
