"""Loading a folder of images against MNIST's own files (issue 22), measured in one run.

    python benchmarks/own_images.py --data_dir=../shared/data [--repeats=2] [--work=DIR]

MNIST's 70,000 images are exported as PNG files in one folder per digit (DIR/mnist_png/<digit>/
train_00000.png, test_00000.png), then these three runs of `VAE_main.py --epochs=1` (the default
dense VAE) are timed in turns, each a fresh process, from start to the end of its first epoch:
`--dataset_name=MNIST`; the folder with an empty decode cache; the folder again, from the cache.
Writes the seconds and the ratios to the MNIST run into benchmarks/results/own_images.json.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
OUT = os.path.join(ROOT, 'benchmarks', 'results', 'own_images.json')


def export_mnist(data_dir, folder):
    """MNIST's training and test images as PNG files in one folder per digit; returns the folder."""
    from PIL import Image

    from utils.data import load_mnist

    if os.path.isdir(folder):
        return folder
    mnist = load_mnist(data_dir)
    parts = (('train', np.concatenate([mnist.valid.x, mnist.train.x]), np.concatenate([mnist.valid.y, mnist.train.y])),
             ('test', mnist.test.x, mnist.test.y))
    tmp = folder + '.part'
    for digit in range(10):
        os.makedirs(os.path.join(tmp, str(digit)), exist_ok=True)
    for split, x, y in parts:
        for i, (image, label) in enumerate(zip(x, y)):
            Image.fromarray(np.rint(image[..., 0] * 255).astype(np.uint8)).save(
                os.path.join(tmp, str(label), f'{split}_{i:05d}.png'))
    os.replace(tmp, folder)
    return folder


def first_epoch_seconds(argv, env):
    """Wall seconds from the start of a VAE_main.py process to the end of its first epoch."""
    start = time.time()
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, 'VAE_main.py'), *argv], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = None
    for line in proc.stdout:
        if seconds is None and line.startswith('epoch 1/1 ('):
            seconds = time.time() - start
    if proc.wait() != 0 or seconds is None:
        raise SystemExit(f'VAE_main.py {" ".join(argv)} failed (exit {proc.returncode})')
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--work', default=os.path.join(ROOT, 'experiments', 'own_images_bench'))
    parser.add_argument('--repeats', type=int, default=2)
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    start = time.time()
    export_mnist(args.data_dir, os.path.join(work, 'mnist_png'))
    export_s = time.time() - start
    cache = os.path.join(work, 'cache')
    env = dict(os.environ, VAE_GMVAE_CACHE_DIR=cache)
    common = ['--epochs=1', '--results=0', '--summary=0', f'--checkpoint_dir={work}/ckpt',
              f'--log_dir={work}/summary', f'--result_dir={work}/results', '--overwrite=1']
    runs = {'mnist_files': ['--dataset_name=MNIST', f'--data_dir={args.data_dir}'],
            'folder_decoded': ['--dataset_name=mnist_png', f'--data_dir={work}'],
            'folder_cached': ['--dataset_name=mnist_png', f'--data_dir={work}']}
    seconds = {name: [] for name in runs}
    for repeat in range(args.repeats):
        for name, argv in runs.items():
            if name == 'folder_decoded':
                shutil.rmtree(cache, ignore_errors=True)
            seconds[name].append(first_epoch_seconds(argv + common, env))
            print(f'repeat {repeat + 1}/{args.repeats} {name}: {seconds[name][-1]:.1f} s', flush=True)
    best = {name: min(values) for name, values in seconds.items()}
    result = {
        'command': 'python benchmarks/own_images.py ' + ' '.join(
            f'--{k}={v}' for k, v in (('data_dir', args.data_dir), ('repeats', args.repeats))),
        'what': 'wall seconds from process start to the end of the first epoch of VAE_main.py --epochs=1 '
                '(default dense VAE), best of the repeats; runs in turns',
        'images': 70000, 'export_png_s': round(export_s, 1), 'seconds': seconds, 'best_s': best,
        'ratio_decoded_to_mnist': best['folder_decoded'] / best['mnist_files'],
        'ratio_cached_to_mnist': best['folder_cached'] / best['mnist_files'],
        'load_average_1min': os.getloadavg()[0], 'cores': os.cpu_count(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(result, f, indent=2, sort_keys=True)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == '__main__':
    main()
