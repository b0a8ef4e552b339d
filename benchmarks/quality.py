"""Quality runs on the real MNIST, trained with the mains' own code, with their numbers in JSON.

    python benchmarks/quality.py [--epochs=100] [--seed=0] [--data_dir=../shared/data] gmvae_clustering [-- flags]
    python benchmarks/quality.py [--epochs=150] [--seed=0] [--data_dir=../shared/data] vae_nll [-- flags]

(the options before the preset: argparse takes none after it once `--` follows; the other seeds of
docs/results.md are `--seed=1 gmvae_clustering -- --extra=bench_seed1`, and likewise for 2)

- gmvae_clustering: dense GMVAE, K=16 (the paper's setting); unsupervised clustering accuracy
  (the paper's protocol, majority vote and Hungarian), NMI, ARI, clusters in use.
- vae_nll: dense VAE with a Bernoulli likelihood on dynamically binarised MNIST; test NLL in nats
  from the IWAE estimate with 1000 samples (the literature's setting).

Both use early stopping on the validation loss and write `results_<run name>.json` in --out with
the test metrics, epochs, seconds per epoch, wall time and the exact command line. --rescore
evaluates a finished run's checkpoint again (e.g. after a new metric) and refreshes the metrics. Flags after `--`
replace the preset's (e.g. `-- --z_dim=10`). Each run takes 15-30 minutes on 2 CPU cores.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import GMVAE_main  # noqa: E402
import VAE_main  # noqa: E402
from benchmarks.commands import recorded  # noqa: E402
from utils.args import parse_args, run_name  # noqa: E402
from utils.files import atomic_write_json, read_json  # noqa: E402

# --sigma is unused by the Bernoulli likelihood; it is given to keep the run names (and result files) of before.
# --overwrite=1: running a preset again replaces its earlier run (set aside by the run-folder guard, not deleted).
# --min_delta=0: any fall of the validation loss counts (the presets were measured so before the default became 0.1).
COMMON = ['--likelihood=bernoulli', '--sigma=0.001', '--l_rate=0.001', '--patience=10', '--min_delta=0', '--summary=0',
          '--results=1', '--plot=1', '--extra=bench', '--overwrite=1']
PRESETS = {
    'gmvae_clustering': ('GMVAE', GMVAE_main.run, 100,
                         ['--model_type=2', '--K_clusters=16', '--z_dim=10', '--w_dim=4', '--hidden_dim=256',
                          '--num_layers=2', '--batch_size=64']),
    'vae_nll': ('VAE', VAE_main.run, 150,
                ['--model_type=0', '--z_dim=32', '--hidden_dim=500', '--num_layers=2', '--batch_size=100']),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('preset', choices=sorted(PRESETS))
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--epochs', type=int, help='default: the preset\'s')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default='benchmarks/results')
    parser.add_argument('--rescore', action='store_true',
                        help='only evaluate the run\'s saved checkpoint again (--train=0 --results=1) and '
                             'refresh the test metrics of its JSON, keeping its training command and times')
    parser.add_argument('overrides', nargs='*', help='main flags that replace the preset\'s')
    args = parser.parse_args()
    family, run, epochs, preset = PRESETS[args.preset]
    work = os.path.join(args.out, 'quality_run')
    argv = COMMON + preset + args.overrides + [
        f'--epochs={args.epochs or epochs}', f'--seed={args.seed}', f'--data_dir={args.data_dir}',
        f'--checkpoint_dir={work}/checkpoint', f'--log_dir={work}/summary', f'--result_dir={work}/results']
    name = run_name(parse_args(family, argv))
    out = os.path.join(args.out, f'results_{name}.json')
    start = time.time()
    status = run(argv + ['--train=0'] if args.rescore else argv)
    if status:
        sys.exit(status)
    metrics = read_json(os.path.join(work, 'results', name, 'metrics.json'))
    if args.rescore and os.path.exists(out):
        report = read_json(out)
    else:   # a rescore without a report (its training ended, its results did not) times the training only
        seconds = read_json(os.path.join(work, 'checkpoint', name, 'history.json'))['history']['seconds']
        report = {'preset': args.preset,
                  'command': recorded(f'{family}_main.py', argv),
                  'wall_seconds': sum(seconds) if args.rescore else time.time() - start,
                  'epochs': len(seconds),
                  'seconds_per_epoch': sum(seconds) / len(seconds)}
    if args.rescore:
        report['rescore_command'] = recorded(f'{family}_main.py', argv + ['--train=0'])
    report.update({k: metrics[k] for k in sorted(metrics) if k.startswith('test/')})
    atomic_write_json(out, report)
    print(json.dumps(report, indent=1))


if __name__ == '__main__':
    main()
