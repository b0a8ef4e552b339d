"""MNIST through the folder route against --dataset_name=MNIST, with the same flags (issue 22).

    python benchmarks/mnist_folder_parity.py [--seeds=0,1] [--epochs=10] [--data_dir=../shared/data]

Trains the quality preset `gmvae_clustering` (benchmarks/quality.py: dense GMVAE, K=16) for --epochs
on each seed twice: on MNIST's own files, and on MNIST exported as 70,000 PNG files in one folder
per digit (benchmarks/own_images.py), whose fixed 80/10/10 split has 7,000 test images in place of
MNIST's 10,000. Writes every run's clustering scores, their mean and spread over the seeds, and the
folder route's distance from the MNIST mean in units of that spread into
benchmarks/results/mnist_folder_parity.json.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.own_images import export_mnist  # noqa: E402
from benchmarks.quality import COMMON, PRESETS  # noqa: E402
from utils.files import atomic_write_json, read_json  # noqa: E402

OUT = os.path.join(ROOT, 'benchmarks', 'results', 'mnist_folder_parity.json')
SCORES = ('accuracy_paper', 'accuracy_paper_posterior', 'accuracy_hungarian', 'accuracy_many_to_one', 'nmi',
          'elbo', 'clusters_in_use')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', default='0,1')
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--work', default='experiments/mnist_folder_parity')
    args = parser.parse_args()
    from utils.args import original_flags, parse_args, run_name

    family, run, _, preset = PRESETS['gmvae_clustering']
    export_mnist(args.data_dir, os.path.join(args.work, 'mnist_png'))
    routes = {'mnist_files': ['--dataset_name=MNIST', f'--data_dir={args.data_dir}'],
              'folder': ['--dataset_name=mnist_png', f'--data_dir={args.work}']}
    runs = {route: [] for route in routes}
    for seed in (int(s) for s in args.seeds.split(',')):
        for route, data in routes.items():
            # the folder would otherwise get the own-images defaults: both routes train with the same flags
            argv = COMMON + preset + data + original_flags('epochs', 'sigma', 'z_dim', 'w_dim', 'hidden_dim') + [
                f'--epochs={args.epochs}', f'--seed={seed}', '--iw_samples=0', '--plot=0',
                f'--checkpoint_dir={args.work}/checkpoint', f'--log_dir={args.work}/summary',
                f'--result_dir={args.work}/results']
            start = time.time()
            if run(argv):
                sys.exit(f'{family}_main.py {" ".join(argv)} failed')
            metrics = read_json(os.path.join(args.work, 'results', run_name(parse_args(family, argv)), 'metrics.json'))
            runs[route].append({'seed': seed, 'minutes': round((time.time() - start) / 60, 1),
                                'command': f'python {family}_main.py ' + ' '.join(argv),
                                **{k: metrics[f'test/{k}'] for k in SCORES}})
            print(route, json.dumps(runs[route][-1]), flush=True)
    summary = {}
    for score in SCORES:
        values = {route: np.array([r[score] for r in rs], float) for route, rs in runs.items()}
        spread = float(values['mnist_files'].std(ddof=1)) if len(values['mnist_files']) > 1 else None
        summary[score] = {**{f'{route}_mean': float(v.mean()) for route, v in values.items()},
                          'mnist_files_std': spread,
                          'folder_minus_mnist_in_std': (float((values['folder'].mean() - values['mnist_files'].mean())
                                                              / spread) if spread else None)}
    report = {'command': f'python benchmarks/mnist_folder_parity.py --seeds={args.seeds} --epochs={args.epochs} '
                         f'--data_dir={args.data_dir}',
              'runs': runs, 'summary': summary}
    atomic_write_json(OUT, report)
    print(json.dumps(summary, indent=1))


if __name__ == '__main__':
    main()
