"""What the paper's M Monte Carlo samples (--mc_samples) cost per training step, against M = 1.

    python benchmarks/mc_samples_cost.py --data_dir=../shared/data [--out=benchmarks/results]

For the GMVAE clustering preset of benchmarks/quality.py (K 16, z 10, w 4, hidden 256, batch 64,
Bernoulli likelihood), dense (model_type 2) and CNN (model_type 3), at M = 1, 2, 4 and 10: the
production loop's seconds per epoch (BaseModel._train_epoch over STEPS steps, scaled to the epoch),
median of ROUNDS rounds interleaved over M so that machine load weighs on all alike, after a warm-up
call that compiles each. Prints a table and writes `mc_samples_cost.json` in --out, with the ratio
to M = 1 of each. About 6 minutes on 2 CPU cores.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.quality import PRESETS  # noqa: E402
from benchmarks.throughput import _build, _dataset, _timed  # noqa: E402
from utils.files import atomic_write_json  # noqa: E402

SAMPLES = (1, 2, 4, 10)
STEPS = {2: 200, 3: 60}      # steps timed per round: dense, CNN
ROUNDS = 3
BATCH = 64


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--out', default='benchmarks/results')
    parser.add_argument('--quick', action='store_true', help='M = 1 and 2, a few steps, one round: a smoke test')
    args = parser.parse_args()
    samples, rounds = ((1, 2), 1) if args.quick else (SAMPLES, ROUNDS)
    preset = [f for f in PRESETS['gmvae_clustering'][3] if not f.startswith(('--model_type', '--batch_size'))]
    dataset, data_name = _dataset(args.data_dir)
    epoch_steps = len(dataset.train.x) // BATCH
    report = {'data': data_name, 'batch_size': BATCH, 'preset': preset, 'rounds': rounds, 'models': {}}
    for model_type, steps in STEPS.items():
        steps = 3 if args.quick else steps
        models = {m: _build(model_type, BATCH, dataset, tempfile.mkdtemp(prefix='mc_cost_'),
                            preset + ['--likelihood=bernoulli', f'--mc_samples={m}']) for m in samples}
        for model in models.values():
            model._train_epoch(0, steps)           # warm-up: traces and compiles
        seconds = {m: [] for m in samples}
        for _ in range(rounds):
            for m, model in models.items():
                seconds[m].append(_timed(lambda: model._train_epoch(1, steps)))
        per_epoch = {m: statistics.median(times) / steps * epoch_steps for m, times in seconds.items()}
        report['models'][str(model_type)] = {
            'network': models[1].graph.network, 'steps_timed': steps,
            'seconds_per_epoch': {str(m): per_epoch[m] for m in samples},
            'cost_ratio_to_m1': {str(m): per_epoch[m] / per_epoch[1] for m in samples},
            'round_seconds': {str(m): seconds[m] for m in samples}}
        for m in samples:
            print(f'model_type {model_type} ({models[1].graph.network}), M={m}: {per_epoch[m]:.1f} s/epoch, '
                  f'{per_epoch[m] / per_epoch[1]:.2f}x M=1', flush=True)
    path = os.path.join(args.out, 'mc_samples_cost.json')
    atomic_write_json(path, report)
    print(json.dumps(report['models'], indent=1))
    print(f'Wrote {path}')


if __name__ == '__main__':
    main()
