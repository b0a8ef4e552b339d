"""The two clusterings that place a GMVAE's mixture and serve as the clustering suite's baselines."""
import numpy as np


def kmeans(features, K, seed):
    """k-means of features (N, D) into K clusters (10 restarts, keyed by seed): the fitted sklearn KMeans."""
    from sklearn.cluster import KMeans

    return KMeans(K, n_init=10, random_state=seed).fit(np.asarray(features).reshape(len(features), -1))


def tsne(features, seed):
    """A 2-D t-SNE of features (N, D), keyed by seed: (N, 2). Its perplexity is sklearn's 30, or (N - 1) / 3 for
    fewer than 91 points (t-SNE needs it below N); one point repeated (a collapsed posterior, where t-SNE's PCA
    start divides by 0) maps to zeros."""
    from sklearn.manifold import TSNE

    features = np.asarray(features).reshape(len(features), -1)
    if not np.ptp(features, axis=0).any():
        return np.zeros((len(features), 2))
    perplexity = min(30.0, max(1.0, (len(features) - 1) / 3))
    return TSNE(2, init='pca', perplexity=perplexity, random_state=seed).fit_transform(features)


def tsne_kmeans(features, K, seed):
    """k-means of a 2-D t-SNE of features (N, D): each point's cluster, (N,) ints in [0, K).

    t-SNE keeps each point's nearest neighbours together, so its clusters follow curved, non-Gaussian
    groups that k-means of the features themselves would cut (McConville et al. 2019, 'N2D').
    """
    return kmeans(tsne(features, seed), K, seed).labels_
