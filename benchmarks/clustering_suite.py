"""Clustering on image sets that no preset was tuned on, against k-means on the pixels (issue 23).

    python benchmarks/clustering_suite.py [--data_dir=../shared/data] [--model_types=2,3] [--only=NAME,...]
                                          [--tsne=1] [--label=defaults] [--tables_only=1] [-- main flags]

Builds each set as an .npz array file (or a folder of PNGs) in --work, then runs the command a user
types, `GMVAE_main.py --dataset_name=NAME --data_dir=DIR --K_clusters=K --results=1` (and
`--model_type=3`), with nothing else but the flags after `--`. The MNIST subsets are scored on 2,000
held-out images of MNIST's test file (through `--predict`), the other sets on their split's test images.
Baselines on the same images: k-means on the pixels (fit on the training images, k = the number of
classes) and, with --tsne=1, t-SNE of the training and scored images followed by k-means.

One row per set and model: images, the command, the GMVAE's Hungarian accuracy, the paper's protocol
(on the split's test images), NMI, whether it collapsed, the baselines and the minutes. The label
`defaults` (the command as a user types it) writes benchmarks/results/clustering_suite.json and the
README's table; any other label (a candidate, with its flags after `--`) writes
clustering_candidates.json and the table of docs/clustering.md.

The sets: MNIST subsets with 1,000 and 5,000 training images; 10,000 MNIST images downsampled to
8x8 and to 14x14; scikit-learn's 1,797 handwritten 8x8 digits (a small real set); two generated colour
sets (benchmarks/generated_data.py, as PNG files): colour_shapes (4,000 images, the class a shape in any
colour) and shapes_in_colours (4,500 images, the class a shape and a colour).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.generated_data import COLOURED_SHAPES, SHAPES, colour_shapes, shapes_in_colours, write_folder  # noqa: E402
from utils.files import atomic_write_json, read_json  # noqa: E402

OUT = os.path.join(ROOT, 'benchmarks', 'results', 'clustering_suite.json')              # the chosen defaults
CANDIDATES = os.path.join(ROOT, 'benchmarks', 'results', 'clustering_candidates.json')   # every other --label
HELDOUT = 2000   # held-out images that score the MNIST subsets (their own test splits are 125 and 625)
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


def _mnist_heldout(data_dir, n=HELDOUT):
    """The first n images of MNIST's official test file, which no subset trains on, and their labels."""
    from utils.data import load_mnist

    test = load_mnist(data_dir).test
    return np.rint(test.x[:n] * 255).astype(np.uint8), test.y[:n]


# name -> (builder(data_dir) -> (x uint8, y), K, class names of a folder of PNGs or None, held-out builder or None).
# A set with held-out images is scored on them (through --predict) instead of its own small test split.
SETS = {
    'mnist_1k': (lambda d: _mnist(d, 1250), 10, None, _mnist_heldout),
    'mnist_5k': (lambda d: _mnist(d, 6250), 10, None, _mnist_heldout),
    'mnist_8x8': (lambda d: _mnist(d, 10000, (8, 8)), 10, None, None),
    'mnist_14x14': (lambda d: _mnist(d, 10000, (14, 14)), 10, None, None),
    'sklearn_digits': (lambda d: _digits(), 10, None, None),
    'colour_shapes': (lambda d: colour_shapes(4000), len(SHAPES), SHAPES, None),
    'shapes_in_colours': (lambda d: shapes_in_colours(4500), len(COLOURED_SHAPES), COLOURED_SHAPES, None),
}


def build(name, data_dir, work):
    """Write the set `name` (and its held-out images) into `work` once; returns it loaded (utils.data.Dataset)
    and the path of the held-out .npz file, or None."""
    builder, _, names, heldout = SETS[name]
    folder, array = os.path.join(work, name), os.path.join(work, name + '.npz')
    if not (os.path.isdir(folder) or os.path.exists(array)):
        x, y = builder(data_dir)
        os.makedirs(work, exist_ok=True)
        if names:
            write_folder(folder, x, y, names)
        else:
            np.savez(array, x=x, y=y)
    heldout_path = heldout_file(work, name) if heldout else None
    if heldout and not os.path.exists(heldout_path):
        x, y = heldout(data_dir)
        np.savez(heldout_path, x=x, y=y)
    from utils.data import load_dataset
    return load_dataset(name, work, progress=False), heldout_path


def heldout_file(work, name):
    """The .npz file of the held-out images of the set `name` in `work`."""
    return os.path.join(work, name + '_heldout.npz')


def scored_images(dataset, heldout):
    """The images a set is scored on: x (N, H, W, C) in [0, 1] and y (N,), those of the held-out file `heldout`
    where there is one (prepared as the loader prepares the set's own), else the test split's."""
    from utils.images import to_unit

    if not heldout:
        return dataset.test.x, dataset.test.y
    with np.load(heldout) as f:
        return to_unit(f['x'][..., None]), f['y']


def baselines(train, scored, y, K, seed, tsne):
    """k-means (and t-SNE + k-means) of features: fit on the training images' train (N, D), scored on the
    features scored (M, D) with labels y (M,): {'kmeans': ..., 'tsne_kmeans': ...} of {accuracy_hungarian, nmi}.

    The t-SNE is of both sets together (it cannot place new points); k-means then clusters all of it.
    """
    from utils.clusterers import kmeans, tsne_kmeans

    result = {'kmeans': _scores(y, kmeans(train, K, seed).predict(scored))}
    if tsne:
        pred = tsne_kmeans(np.concatenate([train, scored]), K, seed)
        result['tsne_kmeans'] = _scores(y, pred[len(train):])
    return result


def _scores(y, pred):
    from utils.metrics import clustering_scores

    found = clustering_scores(y, pred)
    return {'accuracy_hungarian': found['accuracy_hungarian'], 'nmi': found['nmi']}


def _heldout_scores(path, y):
    """The GMVAE's scores on the held-out images from its predictions file `path` (cluster column)."""
    import csv

    with open(path, newline='') as f:
        clusters = np.array([int(row['cluster']) for row in csv.DictReader(f)])
    found = _scores(y, clusters)
    found['clusters_in_use'] = int(len(np.unique(clusters)))
    return found


DESCRIPTIONS = {'mnist_1k': 'MNIST, 1,000 training images', 'mnist_5k': 'MNIST, 5,000 training images',
                'mnist_8x8': 'MNIST at 8x8, 10,000 images', 'mnist_14x14': 'MNIST at 14x14, 10,000 images',
                'sklearn_digits': "scikit-learn's 8x8 digits, 1,797 images",
                'colour_shapes': '32x32 colour shapes, 4,000 PNG files',
                'shapes_in_colours': '32x32, 3 shapes x 3 colours, 4,500 PNG files'}
README = os.path.join(ROOT, 'README.md')
DOC = os.path.join(ROOT, 'docs', 'clustering.md')
CHOSEN = 'defaults'   # the configuration that the command a user types gets: the README's table


def _percent(value):
    return '—' if value is None else f'{100 * value:.1f}'


def _order(row):
    return list(SETS).index(row['dataset']), row['model_type']


def _model(row):
    return 'dense' if row['model_type'] == 2 else 'CNN'


def _pair(scores):
    return '—' if not scores else f"{_percent(scores['accuracy_hungarian'])}, {scores['nmi']:.3f}"


def _beats(row):
    g, k = row['gmvae'], row['kmeans_pixels']
    if g['accuracy_hungarian'] is None:
        return '—'
    return 'yes' if g['accuracy_hungarian'] > k['accuracy_hungarian'] and g['nmi'] > k['nmi'] else 'no'


def suite_table(rows):
    """The README's table: one line per set and model (clustering_suite.json's rows)."""
    lines = ['| set | K | model | GMVAE: Hungarian %, NMI | paper protocol % | k-means on pixels | t-SNE + k-means | '
             'beats k-means | minutes |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    for r in sorted(rows, key=_order):
        lines.append(f"| `{r['dataset']}`: {DESCRIPTIONS[r['dataset']]} | {SETS[r['dataset']][1]} | {_model(r)} | "
                     f"{_pair(r['gmvae'])} | "
                     f"{_percent(r['gmvae']['accuracy_paper'])} | {_pair(r['kmeans_pixels'])} | "
                     f"{_pair(r.get('tsne_kmeans'))} | {_beats(r)} | {r['minutes']:.1f} |")
    return '\n'.join(lines)


def candidates_table(rows):
    """docs/clustering.md's table: every other configuration measured, set by set."""
    lines = ['| configuration | set | model | GMVAE: Hungarian %, NMI | k-means on pixels | clusters in use | '
             'minutes |',
             '| --- | --- | --- | --- | --- | --- | --- |']
    for r in sorted(rows, key=lambda r: (r['configuration'], *_order(r))):
        lines.append(f"| {r['configuration']} | {r['dataset']} | {_model(r)} | {_pair(r['gmvae'])} | "
                     f"{_pair(r['kmeans_pixels'])} | {r['gmvae'].get('clusters_in_use', '—')} | {r['minutes']:.1f} |")
    return '\n'.join(lines)


def write_tables():
    """The README's table from clustering_suite.json, docs/clustering.md's from clustering_candidates.json."""
    from benchmarks.paper_tables import write_tables as write

    for doc, name, table, path in ((README, 'suite', suite_table, OUT),
                                   (DOC, 'candidates', candidates_table, CANDIDATES)):
        problem = write(doc, {name: table(read_json(path)['rows'])}, tool='clustering_suite.py')
        if problem:
            sys.exit(problem)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--work', default='experiments/clustering_suite')
    parser.add_argument('--model_types', default='2,3')
    parser.add_argument('--only', default=','.join(SETS))
    parser.add_argument('--tsne', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--label', default='defaults', help='name of this configuration in the JSON')
    parser.add_argument('--out', default=None,
                        help='the JSON file of the rows (default: clustering_suite.json for the label defaults, '
                             'clustering_candidates.json for any other)')
    parser.add_argument('--tables_only', type=int, default=0,
                        help='1: only rewrite the README\'s and docs/clustering.md\'s tables from the JSON')
    parser.add_argument('overrides', nargs='*', help='main flags added to the command (after --)')
    args = parser.parse_args()
    args.out = args.out or (OUT if args.label == CHOSEN else CANDIDATES)
    if args.tables_only:
        write_tables()
        return
    import GMVAE_main
    from utils.args import parse_args, run_name

    report = read_json(args.out) if os.path.exists(args.out) else {'rows': []}
    for name in args.only.split(','):
        dataset, heldout = build(name, args.data_dir, args.work)
        K = SETS[name][1]
        scored = scored_images(dataset, heldout)
        pixels = baselines(*(x.reshape(len(x), -1) for x in (dataset.train.x, scored[0])), scored[1], K, args.seed,
                           args.tsne)
        found = {'kmeans_pixels': pixels.pop('kmeans'), **pixels}
        for model_type in (int(t) for t in args.model_types.split(',')):
            argv = [f'--dataset_name={name}', f'--data_dir={args.work}', f'--K_clusters={K}', '--results=1',
                    *(['--model_type=3'] if model_type == 3 else []), *args.overrides]
            folders = [f'--checkpoint_dir={args.work}/runs/{args.label}/checkpoint', '--overwrite=1', '--plot=0',
                       f'--log_dir={args.work}/runs/{args.label}/summary',
                       f'--result_dir={args.work}/runs/{args.label}/results']
            start = time.time()
            status = GMVAE_main.run(argv + folders)
            minutes = (time.time() - start) / 60
            scores = dict.fromkeys(SCORES)
            if status == 0:
                run = run_name(parse_args('GMVAE', argv + folders))
                results = os.path.join(args.work, 'runs', args.label, 'results', run)
                metrics = read_json(os.path.join(results, 'metrics.json'))
                scores = {k: metrics.get(f'test/{k}') for k in SCORES}
                if heldout:
                    predict = [a for a in argv + folders if a not in ('--results=1', '--overwrite=1')]
                    status = GMVAE_main.run(predict + [f'--predict={heldout}'])
                    stem = os.path.basename(heldout)[:-len('.npz')]
                    if status == 0:
                        scores.update(_heldout_scores(os.path.join(results, f'predictions_{stem}.csv'), scored[1]))
            row = {'configuration': args.label, 'dataset': name, 'model_type': model_type,
                   'images': sum(len(s.x) for s in (dataset.train, dataset.valid, dataset.test)),
                   'scored_on': f'{len(scored[1])} held-out images' if heldout else 'the test split',
                   'test_images': len(scored[1]), 'command': 'python GMVAE_main.py ' + ' '.join(argv),
                   'exit_status': status, 'minutes': round(minutes, 1), 'gmvae': scores, **found}
            report['rows'] = [r for r in report['rows'] if (r['configuration'], r['dataset'], r['model_type'])
                              != (args.label, name, model_type)] + [row]
            atomic_write_json(args.out, report)
            print(json.dumps(row), flush=True)
    if args.out in (OUT, CANDIDATES):
        write_tables()


if __name__ == '__main__':
    main()
