"""Where the clustering suite's gap to t-SNE + k-means comes from: the latent space, or the mixture's shape.

    python benchmarks/clustering_suite.py --model_types=2 --only=mnist_1k,mnist_5k,mnist_8x8,mnist_14x14   # first
    python benchmarks/latent_clustering.py [--label=defaults] [--only=mnist_1k,mnist_8x8] [--model_types=2]

Restores the suite's finished runs of the command a user types (benchmarks/clustering_suite.py, same --work and
--label; the commands and the pixel baselines are clustering_suite.json's) and scores, on
the images the suite scores, clusterings of the posterior means of z (N, z_dim) against the GMVAE's own
assignment, argmax_k p(y=k|w,z) at the posterior means:

- k-means and a full-covariance Gaussian mixture (K each), fit on the training images' z;
- t-SNE of the training and scored images' z, then k-means: the suite's strongest baseline, on z, not pixels;
- the GMVAE's p(y|w,z) spread over the 10-nearest-neighbour graph of z (label spreading, Zhou et al. 2004,
  alpha 0.9, 50 iterations): how much a neighbourhood smoothing of the mixture's own answer adds.

If t-SNE of z scores as t-SNE of the pixels does while the mixture stays below, the latent space holds the
classes and the gap lies in the Gaussian shape of the mixture's clusters. On a set whose class is made of
factors (shapes_in_colours: a colour and a shape), a linear probe (logistic regression of each factor from z,
fit on the training images) says whether z holds a factor that its clusterings miss. Rows go to --out as JSON.
"""
import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.clustering_suite import (OUT as SUITE, SETS, _scores, baselines, heldout_file,  # noqa: E402
                                        scored_images)
from benchmarks.generated_data import PLAIN_SHAPES  # noqa: E402
from benchmarks.paper_protocol_noise import restore  # noqa: E402
from utils.files import atomic_write_json, read_json  # noqa: E402

OUT = os.path.join(ROOT, 'benchmarks', 'results', 'latent_clustering.json')
NEIGHBOURS, ALPHA, ITERATIONS = 10, 0.9, 50


def spread(probabilities, z):
    """Label spreading of probabilities (N, K) over the symmetric kNN graph of z (N, z_dim): -> (N, K)."""
    from scipy import sparse
    from sklearn.neighbors import kneighbors_graph

    graph = kneighbors_graph(z, NEIGHBOURS, include_self=False)
    graph = (graph + graph.T) / 2
    step = sparse.diags(1 / np.asarray(graph.sum(axis=1)).ravel()) @ graph   # rows sum to 1
    found = probabilities
    for _ in range(ITERATIONS):
        found = ALPHA * (step @ found) + (1 - ALPHA) * probabilities
    return found


def measure(model, scored, K, seed, factors=None):
    """{name: {accuracy_hungarian, nmi}} on scored = (x (N, H, W, C), y (N,)) for the restored GMVAEModel; with
    factors (FACTORS' of the set), also 'linear_probe_z' (probe)."""
    from sklearn.mixture import GaussianMixture

    graph, (x, y) = model.graph, scored
    z_train, z = (model.predict(graph.latent_mean, images).astype(np.float64) for images in (model.data.train.x, x))
    probabilities = model.predict(graph.cluster_probabilities, x).astype(np.float64)      # (N, K)
    of_z = baselines(z_train, z, y, K, seed, tsne=True)   # as the suite's of the pixels
    return {'gmvae': _scores(y, probabilities.argmax(axis=1)), 'kmeans_z': of_z['kmeans'],
            'gmm_z': _scores(y, GaussianMixture(K, n_init=3, random_state=seed).fit(z_train).predict(z)),
            'tsne_z_kmeans': of_z['tsne_kmeans'],
            'gmvae_spread_knn_z': _scores(y, spread(probabilities, z).argmax(axis=1)),
            **({'linear_probe_z': probe(z_train, model.data.train.y, z, y, factors)} if factors else {})}


# set -> {factor: the factor's label of a class label}. The folder's classes are sorted by name, as Keras
# sorts them: blue, green, red, each with disc, square, triangle.
FACTORS = {'shapes_in_colours': {'colour': lambda y: y // len(PLAIN_SHAPES), 'shape': lambda y: y % len(PLAIN_SHAPES)}}


def probe(z_train, y_train, z, y, factors):
    """{factor: accuracy} on z (N, z_dim) with labels y (N,) of a logistic regression of factor(y) from z, fit on
    the training images' z_train (M, z_dim) and y_train (M,); the class itself under 'class'."""
    from sklearn.linear_model import LogisticRegression

    z_train, z = z_train.astype(np.float32), z.astype(np.float32)   # the encoder's own dtype (exact from float64)
    return {name: float(LogisticRegression(max_iter=2000).fit(z_train, of(y_train)).score(z, of(y)))
            for name, of in {'class': lambda y: y, **factors}.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work', default='experiments/clustering_suite')
    parser.add_argument('--label', default='defaults',
                        help="the suite's --label whose runs are restored: the command a user types, run by "
                             'clustering_suite.py with that label (its folders alone differ)')
    parser.add_argument('--only', default='mnist_1k,mnist_5k,mnist_8x8,mnist_14x14')
    parser.add_argument('--model_types', default='2')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
    suite = {(r['dataset'], r['model_type']): r for r in read_json(SUITE)['rows']}   # commands and baselines
    report = read_json(args.out) if os.path.exists(args.out) else {'rows': []}
    for name in args.only.split(','):
        for model_type in (int(t) for t in args.model_types.split(',')):
            row = suite[(name, model_type)]
            model = restore(row['command'], os.path.join(args.work, 'runs', args.label), args.work)
            scored = scored_images(model.data, heldout_file(args.work, name) if SETS[name][3] else None)
            found = {'runs_label': args.label, 'command': row['command'], 'dataset': name, 'model_type': model_type,
                     'test_images': len(scored[1]),
                     **measure(model, scored, SETS[name][1], args.seed, FACTORS.get(name)),
                     'suite_kmeans_pixels': row['kmeans_pixels'], 'suite_tsne_kmeans_pixels': row.get('tsne_kmeans')}
            report['rows'] = [r for r in report['rows'] if (r['dataset'], r['model_type']) != (name, model_type)]
            report['rows'].append(found)
            atomic_write_json(args.out, report)
            print(json.dumps(found), flush=True)


if __name__ == '__main__':
    main()
