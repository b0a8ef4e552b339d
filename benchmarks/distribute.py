"""One device against MirroredStrategy on the same machine: how far apart the losses end, and the time.

    python benchmarks/distribute.py [--epochs=3] [--data_dir=../shared/data] [--out=benchmarks/results]

For each setting below, the dense VAE and GMVAE (model_type 0 and 2) are trained through the mains
with --distribute=none and with --distribute=mirrored, same seed and global batch, with the CPU split
into R logical devices (what `mirrored` spreads over on a machine without GPUs), for R = 2 and, as the
reference, R = 1. With one replica the strategy does the same arithmetic as one device, only compiled
in other pieces (no XLA around the whole loop), so its difference from `none` is what float rounding
alone grows into over these epochs; the difference at R = 2 is to be read against it.

Settings: `spec` is the spec's command (hidden 64, two layers, z_dim 8, sigma 0.001, drop_prob 0.3,
l_rate 0.01, batch 32; GMVAE w_dim 2, K 10); `bernoulli` is the same networks with a Bernoulli p(x|z)
and l_rate 0.001, as in benchmarks/quality.py. Prints, and writes `distribute.json` in --out: for
each setting, model and R, the train and validation loss of every epoch and the test loss under both
strategies, their largest absolute and relative differences, and seconds per epoch (on CPU the
logical devices share the same cores, so this is the cost of the strategy's machinery, not a speed-up).
Takes about 5 minutes on 2 CPU cores with the defaults.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

COMMON = ['--hidden_dim=64', '--num_layers=2', '--z_dim=8', '--batch_size=32', '--drop_prob=0.3', '--summary=0',
          '--results=1', '--iw_samples=100', '--early_stopping=0']
SETTINGS = {'spec': ['--sigma=0.001', '--l_rate=0.01'],
            'bernoulli': ['--likelihood=bernoulli', '--l_rate=0.001']}
MODELS = {'VAE': ['--model_type=0'], 'GMVAE': ['--model_type=2', '--w_dim=2', '--K_clusters=10']}


def largest_difference(a, b):
    return {'absolute': max(abs(x - y) for x, y in zip(a, b)),
            'relative': max(abs(x - y) / abs(x) for x, y in zip(a, b))}


def run_pair(replicas, epochs, data_dir):
    """In this process (CPU split into `replicas` devices): every setting and model under none and mirrored."""
    import tensorflow as tf
    cpu = tf.config.list_physical_devices('CPU')[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
    import GMVAE_main
    import VAE_main
    from utils.args import parse_args, run_name
    from utils.files import read_json

    mains = {'VAE': VAE_main.run, 'GMVAE': GMVAE_main.run}
    report = {}
    for setting, setting_flags in SETTINGS.items():
        for family, flags in MODELS.items():
            runs = {}
            for distribute in ('none', 'mirrored'):
                work = tempfile.mkdtemp(prefix=f'distribute_{distribute}_')
                argv = COMMON + setting_flags + flags + [
                    f'--epochs={epochs}', f'--data_dir={data_dir}', f'--distribute={distribute}',
                    f'--checkpoint_dir={work}/checkpoint', f'--log_dir={work}/summary', f'--result_dir={work}/results']
                if mains[family](argv):
                    sys.exit(f'{setting} {family} --distribute={distribute} failed')
                name = run_name(parse_args(family, argv))
                history = read_json(os.path.join(work, 'checkpoint', name, 'history.json'))['history']
                test = read_json(os.path.join(work, 'results', name, 'metrics.json'))
                runs[distribute] = {'train_loss': history['train/loss'], 'valid_loss': history['valid/loss'],
                                    'test_loss': test['test/loss'], 'seconds_per_epoch': history['seconds']}
            one, many = runs['none'], runs['mirrored']
            report[f'{setting}/{family}'] = {
                'runs': runs,
                'difference': {key: largest_difference(one[key], many[key]) for key in ('train_loss', 'valid_loss')}
                | {'test_loss': largest_difference([one['test_loss']], [many['test_loss']])},
                'seconds_per_epoch_ratio_mirrored_to_none': (sum(many['seconds_per_epoch'][1:]) /
                                                             sum(one['seconds_per_epoch'][1:]))}
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--out', default='benchmarks/results')
    parser.add_argument('--replicas', type=int, help=argparse.SUPPRESS)   # internal: one child process per R
    args = parser.parse_args()
    if args.replicas:
        print(json.dumps(run_pair(args.replicas, args.epochs, args.data_dir)))
        return

    from utils.files import atomic_write_json
    report = {'epochs': args.epochs, 'common_flags': COMMON, 'settings': SETTINGS, 'by_replicas': {}}
    for replicas in (2, 1):
        child = subprocess.run([sys.executable, os.path.abspath(__file__), f'--replicas={replicas}',
                                f'--epochs={args.epochs}', f'--data_dir={args.data_dir}'],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
        report['by_replicas'][replicas] = json.loads(child.stdout.strip().splitlines()[-1])
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, 'distribute.json')
    atomic_write_json(path, report)
    print(f'\nLargest differences from --distribute=none over {args.epochs} epochs (absolute, relative):')
    for key in report['by_replicas'][2]:
        print(f'{key}:')
        for replicas, results in report['by_replicas'].items():
            result = results[key]
            differences = ', '.join(f"{name} {d['absolute']:.3g} ({d['relative']:.2g})"
                                    for name, d in result['difference'].items())
            print(f"  mirrored, {replicas} replica{'s' if replicas > 1 else ''}: {differences}; "
                  f"s/epoch x{result['seconds_per_epoch_ratio_mirrored_to_none']:.2f}")
    print(f'Wrote {path}')


if __name__ == '__main__':
    main()
