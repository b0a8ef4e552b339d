"""One device against MirroredStrategy on the same machine: how far apart the losses end, and the time.

    python benchmarks/distribute.py [--replicas=2] [--epochs=3] [--data_dir=../shared/data] [--out=benchmarks/results]

Splits the CPU into --replicas logical devices (on a machine without GPUs, what `--distribute=mirrored`
then spreads over), then runs the spec's VAE and GMVAE commands (model_type 0 and 2: hidden 64, two
layers, z_dim 8, sigma 0.001, drop_prob 0.3, l_rate 0.01, batch 32; GMVAE w_dim 2, K 10) through the
mains, once with --distribute=none and once with --distribute=mirrored, same seed and global batch.
Prints, and writes to `distribute.json` in --out, per model: the train and validation loss of every
epoch under each strategy, their largest absolute and relative differences, the test metrics of both,
and seconds per epoch (on CPU the logical devices share the same cores, so this measures the cost of
the strategy's machinery, not a speed-up; the single-device loop is also compiled by XLA as a whole).
Takes about 3 minutes on 2 CPU cores with the defaults.
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

SPEC = ['--sigma=0.001', '--z_dim=8', '--hidden_dim=64', '--num_layers=2', '--batch_size=32', '--drop_prob=0.3',
        '--l_rate=0.01', '--summary=0', '--results=1', '--iw_samples=100', '--early_stopping=0']
MODELS = {'VAE': ['--model_type=0'], 'GMVAE': ['--model_type=2', '--w_dim=2', '--K_clusters=10']}


def largest_difference(a, b):
    return {'absolute': max(abs(x - y) for x, y in zip(a, b)),
            'relative': max(abs(x - y) / abs(x) for x, y in zip(a, b))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--replicas', type=int, default=2)
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--out', default='benchmarks/results')
    args = parser.parse_args()

    import tensorflow as tf
    cpu = tf.config.list_physical_devices('CPU')[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * args.replicas)
    import GMVAE_main
    import VAE_main
    from utils.args import parse_args, run_name
    from utils.files import atomic_write_json, read_json

    mains = {'VAE': VAE_main.run, 'GMVAE': GMVAE_main.run}
    report = {'replicas': args.replicas, 'epochs': args.epochs, 'spec_flags': SPEC, 'models': {}}
    for family, flags in MODELS.items():
        runs = {}
        for distribute in ('none', 'mirrored'):
            work = tempfile.mkdtemp(prefix=f'distribute_{distribute}_')
            argv = SPEC + flags + [f'--epochs={args.epochs}', f'--data_dir={args.data_dir}',
                                   f'--distribute={distribute}', f'--checkpoint_dir={work}/checkpoint',
                                   f'--log_dir={work}/summary', f'--result_dir={work}/results']
            if mains[family](argv):
                sys.exit(f'{family} --distribute={distribute} failed')
            name = run_name(parse_args(family, argv))
            history = read_json(os.path.join(work, 'checkpoint', name, 'history.json'))['history']
            runs[distribute] = {'train_loss': history['train/loss'], 'valid_loss': history['valid/loss'],
                                'seconds_per_epoch': history['seconds'],
                                'test': read_json(os.path.join(work, 'results', name, 'metrics.json'))}
        one, many = runs['none'], runs['mirrored']
        report['models'][family] = {
            'runs': runs,
            'difference': {key: largest_difference(one[key], many[key]) for key in ('train_loss', 'valid_loss')}
            | {'test_loss': largest_difference([one['test']['test/loss']], [many['test']['test/loss']])},
            'seconds_per_epoch_ratio_mirrored_to_none': (sum(many['seconds_per_epoch'][1:]) /
                                                         sum(one['seconds_per_epoch'][1:]))}
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, 'distribute.json')
    atomic_write_json(path, report)
    for family, result in report['models'].items():
        runs = result['runs']
        print(f'{family}: ' + '; '.join(
            f"{key} largest difference {d['absolute']:.3g} ({d['relative']:.2g} relative)"
            for key, d in result['difference'].items()))
        for distribute, run in runs.items():
            print(f"  {distribute:9s} train {['%.2f' % v for v in run['train_loss']]}  "
                  f"valid {['%.2f' % v for v in run['valid_loss']]}  test {run['test']['test/loss']:.2f}  "
                  f"s/epoch {['%.1f' % v for v in run['seconds_per_epoch']]}")
    print(f'Wrote {path}')


if __name__ == '__main__':
    main()
