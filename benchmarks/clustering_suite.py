"""Clustering on image sets that no preset was tuned on, against k-means on the pixels (issue 23).

    python benchmarks/clustering_suite.py [--data_dir=../shared/data] [--model_types=2,3] [--only=NAME,...]
                                          [--tsne=1] [-- main flags]

Builds each set as an .npz array file (or a folder of PNGs) in --work, then runs the command a user
types, `GMVAE_main.py --dataset_name=NAME --data_dir=DIR --K_clusters=K --results=1` (and
`--model_type=3`), with nothing else but the flags after `--`. Baselines on the same test split:
k-means on the pixels (fit on the training images, k = the number of classes) and, with --tsne=1,
t-SNE of the training and test images followed by k-means. Writes one row per set and model to
benchmarks/results/clustering_suite.json: images, the command, the GMVAE's Hungarian accuracy, the
paper's protocol, NMI, whether it collapsed, the baselines and the minutes.

The sets: MNIST subsets with 1,000 and 5,000 training images; 10,000 MNIST images downsampled to
8x8 and to 14x14; scikit-learn's 1,797 handwritten 8x8 digits (a small real set); colour_shapes
(benchmarks/generated_data.py, 4,000 images, as PNG files).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.generated_data import SHAPES, colour_shapes, write_folder  # noqa: E402
from utils.files import atomic_write_json, read_json  # noqa: E402

OUT = os.path.join(ROOT, 'benchmarks', 'results', 'clustering_suite.json')
SCORES = ('accuracy_hungarian', 'accuracy_paper', 'nmi', 'clusters_in_use', 'collapsed', 'kl_y')


def _mnist(data_dir, n, size=None):
    """The first n images of MNIST's training file (uint8, resized to `size`) and their labels."""
    from utils.data import load_mnist
    from utils.images import resize_array

    mnist = load_mnist(data_dir)
    x = np.concatenate([mnist.valid.x, mnist.train.x])[:n]
    y = np.concatenate([mnist.valid.y, mnist.train.y])[:n]
    x = resize_array(x, size, None) if size else x
    return np.rint(x * 255).astype(np.uint8), y


def _digits():
    from sklearn.datasets import load_digits
    digits = load_digits()
    return np.rint(digits.images * (255 / 16)).astype(np.uint8), digits.target.astype(np.int64)


# name -> (builder(data_dir) -> (x uint8, y), K, written as a folder of PNGs)
SETS = {
    'mnist_1k': (lambda d: _mnist(d, 1250), 10, False),
    'mnist_5k': (lambda d: _mnist(d, 6250), 10, False),
    'mnist_8x8': (lambda d: _mnist(d, 10000, (8, 8)), 10, False),
    'mnist_14x14': (lambda d: _mnist(d, 10000, (14, 14)), 10, False),
    'sklearn_digits': (lambda d: _digits(), 10, False),
    'colour_shapes': (lambda d: colour_shapes(4000), len(SHAPES), True),
}


def build(name, data_dir, work):
    """Write the set `name` into `work` once; returns it loaded (utils.data.Dataset)."""
    builder, _, as_folder = SETS[name]
    folder, array = os.path.join(work, name), os.path.join(work, name + '.npz')
    if not (os.path.isdir(folder) or os.path.exists(array)):
        x, y = builder(data_dir)
        os.makedirs(work, exist_ok=True)
        if as_folder:
            write_folder(folder, x, y, SHAPES)
        else:
            np.savez(array, x=x, y=y)
    from utils.data import load_dataset
    return load_dataset(name, work, progress=False)


def baselines(dataset, K, seed, tsne):
    """k-means on the pixels (and t-SNE + k-means), scored on the test split: {name: {hungarian, nmi}}."""
    from sklearn.cluster import KMeans
    from sklearn.manifold import TSNE

    from utils.metrics import clustering_scores

    def flat(split):
        return split.x.reshape(len(split.x), -1)

    def scores(pred):
        found = clustering_scores(dataset.test.y, pred)
        return {'accuracy_hungarian': found['accuracy_hungarian'], 'nmi': found['nmi']}

    kmeans = KMeans(K, n_init=10, random_state=seed).fit(flat(dataset.train))
    result = {'kmeans_pixels': scores(kmeans.predict(flat(dataset.test)))}
    if tsne:
        both = np.concatenate([flat(dataset.train), flat(dataset.test)])
        embedded = TSNE(2, random_state=seed, init='pca').fit_transform(both)
        pred = KMeans(K, n_init=10, random_state=seed).fit_predict(embedded)
        result['tsne_kmeans'] = scores(pred[len(dataset.train.x):])
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--work', default='experiments/clustering_suite')
    parser.add_argument('--model_types', default='2,3')
    parser.add_argument('--only', default=','.join(SETS))
    parser.add_argument('--tsne', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--label', default='defaults', help='name of this configuration in the JSON')
    parser.add_argument('overrides', nargs='*', help='main flags added to the command (after --)')
    args = parser.parse_args()
    import GMVAE_main
    from utils.args import parse_args, run_name

    report = read_json(OUT) if os.path.exists(OUT) else {'rows': []}
    for name in args.only.split(','):
        dataset = build(name, args.data_dir, args.work)
        K = SETS[name][1]
        found = baselines(dataset, K, args.seed, args.tsne)
        for model_type in (int(t) for t in args.model_types.split(',')):
            argv = [f'--dataset_name={name}', f'--data_dir={args.work}', f'--K_clusters={K}', '--results=1',
                    *(['--model_type=3'] if model_type == 3 else []), *args.overrides]
            folders = [f'--checkpoint_dir={args.work}/runs/{args.label}/checkpoint', '--overwrite=1', '--plot=0',
                       f'--log_dir={args.work}/runs/{args.label}/summary',
                       f'--result_dir={args.work}/runs/{args.label}/results']
            start = time.time()
            status = GMVAE_main.run(argv + folders)
            minutes = (time.time() - start) / 60
            metrics = {}
            if status == 0:
                run = run_name(parse_args('GMVAE', argv + folders))
                metrics = read_json(os.path.join(args.work, 'runs', args.label, 'results', run, 'metrics.json'))
            row = {'configuration': args.label, 'dataset': name, 'model_type': model_type,
                   'images': sum(len(s.x) for s in (dataset.train, dataset.valid, dataset.test)),
                   'test_images': len(dataset.test.x), 'command': 'python GMVAE_main.py ' + ' '.join(argv),
                   'exit_status': status, 'minutes': round(minutes, 1),
                   'gmvae': {k: metrics.get(f'test/{k}') for k in SCORES}, **found}
            report['rows'] = [r for r in report['rows'] if (r['configuration'], r['dataset'], r['model_type'])
                              != (args.label, name, model_type)] + [row]
            atomic_write_json(OUT, report)
            print(json.dumps(row), flush=True)


if __name__ == '__main__':
    main()
