"""Quality run of the GMVAE issue: dense GMVAE, K=16, on the real MNIST; unsupervised clustering accuracy.

    python benchmarks/gmvae_clustering.py --data_dir=../shared/data [--epochs=120] [--out=benchmarks/results] [-- GMVAE flags]

Trains with GMVAE_main.py's own code (early stopping on the validation loss), then prints and writes
`gmvae_clustering.json`: the test ELBO terms, both clustering accuracies, NMI, ARI, clusters in use,
epochs, seconds per epoch and the exact command line. GMVAE flags after `--` override the defaults
in CONFIG (e.g. `-- --z_dim=10`); the JSON is named after the run. Takes about 15-30 minutes on 2 CPU cores.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import GMVAE_main  # noqa: E402
from utils.args import parse_args, run_name  # noqa: E402
from utils.files import atomic_write_json, read_json  # noqa: E402

CONFIG = ['--model_type=2', '--K_clusters=16', '--z_dim=32', '--w_dim=16', '--hidden_dim=256', '--num_layers=2',
          '--batch_size=64', '--likelihood=bernoulli', '--l_rate=0.001', '--patience=10', '--summary=0',
          '--results=1', '--plot=1', '--extra=bench']


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--epochs', type=int, default=120)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default='benchmarks/results')
    parser.add_argument('overrides', nargs='*', help='GMVAE_main.py flags that replace the defaults')
    args = parser.parse_args()
    work = os.path.join(args.out, 'gmvae_clustering_run')
    argv = CONFIG + args.overrides + [f'--epochs={args.epochs}', f'--seed={args.seed}', f'--data_dir={args.data_dir}',
                     f'--checkpoint_dir={work}/checkpoint', f'--log_dir={work}/summary', f'--result_dir={work}/results']
    start = time.time()
    status = GMVAE_main.run(argv)
    if status:
        sys.exit(status)
    name = run_name(parse_args('GMVAE', argv))
    metrics = read_json(os.path.join(work, 'results', name, 'metrics.json'))
    history = read_json(os.path.join(work, 'checkpoint', name, 'history.json'))['history']
    report = {'command': 'python GMVAE_main.py ' + ' '.join(argv),
              'wall_seconds': time.time() - start,
              'epochs': len(history['seconds']),
              'seconds_per_epoch': sum(history['seconds']) / len(history['seconds']),
              **{k: metrics[k] for k in sorted(metrics) if k.startswith('test/')}}
    atomic_write_json(os.path.join(args.out, f'gmvae_clustering_{name}.json'), report)
    print(json.dumps(report, indent=1))


if __name__ == '__main__':
    main()
