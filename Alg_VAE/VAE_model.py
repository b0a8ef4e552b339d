"""Training and evaluation of the VAE: the shared loop of BaseModel plus k-means clustering of z."""
from sklearn.cluster import KMeans

from Alg_VAE.VAE_visualize import VAEVisualize
from base.base_model import BaseModel
from utils.metrics import clustering_scores

KMEANS_CLUSTERS = 10


class VAEModel(BaseModel):
    """VAE training; its results add k-means (k = 10) clustering scores of the test latent means."""

    visualizer_class = VAEVisualize

    def extra_metrics(self):
        y = self.data.test.y
        if y is None:
            return {}
        clusters = KMeans(KMEANS_CLUSTERS, n_init=10, random_state=self.config.seed).fit_predict(self.test_z)
        return {f'test/kmeans_{k}': v for k, v in clustering_scores(y, clusters).items()}
