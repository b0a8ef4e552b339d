"""How much of t-SNE + k-means's lead over the dense GMVAE on a small set comes from the images it sees.

    python benchmarks/clustering_suite.py --only=mnist_1k --model_types=2   # first: the run restored here
    python benchmarks/tsne_sample_size.py [--only=mnist_1k] [--seeds=0,1,2]

The suite's t-SNE + k-means of the pixels runs on the training images and the scored (held-out) images
together, as t-SNE cannot place new points; the GMVAE's t-SNE placements see the training images alone.
For each seed, Hungarian accuracy on the training images (and the baseline's on the scored ones too) of:

- `suite_baseline`: t-SNE + k-means of the training and scored images' pixels, as the suite runs it;
- `pixels_train_only`: t-SNE + k-means of the training images' pixels alone;
- `z_train_only`, `z_train_and_samples`: t-SNE + k-means of the restored dense GMVAE's posterior means of z of
  the training images, alone and with two posterior samples of each image added to the t-SNE;

and the GMVAE's own assignment of the training images, argmax_k p(y=k|w,z). Rows go to --out as JSON.
"""
import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.clustering_suite import OUT as SUITE, SETS, build, scored_images  # noqa: E402
from benchmarks.paper_protocol_noise import restore  # noqa: E402
from utils.files import atomic_write_json, read_json  # noqa: E402

OUT = os.path.join(ROOT, 'benchmarks', 'results', 'tsne_sample_size.json')
SAMPLES = 2   # posterior samples of each image added to the t-SNE of z_train_and_samples


def measure(model, scored, K, seeds):
    """{name: [Hungarian accuracy per seed]} for the restored GMVAEModel and its scored (x, y)."""
    from utils.clusterers import tsne_kmeans
    from utils.metrics import hungarian_accuracy

    x, y = model.data.train.x, model.data.train.y
    pixels, scored_pixels = (images.reshape(len(images), -1) for images in (x, scored[0]))
    z_mean, z_log_var = model.posterior_z(x)
    gmvae = model.predict(model.graph.cluster_probabilities, x).argmax(axis=1)
    found = {'gmvae': hungarian_accuracy(y, gmvae)}
    for seed in seeds:
        both = tsne_kmeans(np.concatenate([pixels, scored_pixels]), K, seed)
        noise = np.random.default_rng(seed).standard_normal((SAMPLES,) + z_mean.shape)
        with_samples = np.concatenate([z_mean, *(z_mean + np.exp(z_log_var / 2) * noise)])
        for name, accuracy in (
                ('suite_baseline_scored', hungarian_accuracy(scored[1], both[len(x):])),
                ('suite_baseline', hungarian_accuracy(y, both[:len(x)])),
                ('pixels_train_only', hungarian_accuracy(y, tsne_kmeans(pixels, K, seed))),
                ('z_train_only', hungarian_accuracy(y, tsne_kmeans(z_mean, K, seed))),
                ('z_train_and_samples', hungarian_accuracy(y, tsne_kmeans(with_samples, K, seed)[:len(x)]))):
            found.setdefault(name, []).append(accuracy)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work', default='experiments/clustering_suite')
    parser.add_argument('--label', default='defaults', help="the suite's --label whose dense runs are restored")
    parser.add_argument('--only', default='mnist_1k')
    parser.add_argument('--seeds', default='0,1,2')
    parser.add_argument('--data_dir', default=os.path.join(ROOT, '..', 'shared', 'data'))
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
    suite = {(r['dataset'], r['model_type']): r for r in read_json(SUITE)['rows']}
    report = {'seeds': [int(s) for s in args.seeds.split(',')], 'rows': []}
    for name in args.only.split(','):
        row = suite[(name, 2)]
        dataset, heldout = build(name, args.data_dir, args.work)
        scored = scored_images(dataset, heldout)
        model = restore(row['command'], os.path.join(args.work, 'runs', args.label), args.work)
        found = {'dataset': name, 'command': row['command'], 'training_images': len(model.data.train.x),
                 'scored_images': len(scored[1]), **measure(model, scored, SETS[name][1], report['seeds'])}
        report['rows'].append(found)
        atomic_write_json(args.out, report)
        print(json.dumps(found), flush=True)


if __name__ == '__main__':
    main()
