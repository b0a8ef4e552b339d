"""Check in a real browser that TensorBoard overlays a run's train and validation curves in one chart.

    python benchmarks/tensorboard_screenshot.py [--logdir=DIR] [--out=benchmarks/results/tensorboard_scalars.png]
                                                [--data_dir=../shared/data]

Without --logdir it first trains the spec's VAE for 3 epochs on MNIST (--data_dir) into a scratch folder.
It starts TensorBoard on 127.0.0.1 (a free port), asks its scalars API which runs hold each tag (the
runs TensorBoard draws in one chart), takes a screenshot of the SCALARS dashboard with
headless Chromium (Debian package `chromium`), stops TensorBoard and prints one JSON line.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome', 'chrome')


def find_chromium():
    """The path of a Chromium executable, or None."""
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def start_tensorboard(logdir, port, timeout=90):
    """TensorBoard on 127.0.0.1:port serving logdir, once its scalars are loaded: -> the process."""
    process = subprocess.Popen([sys.executable, '-m', 'tensorboard.main', f'--logdir={logdir}', '--host=127.0.0.1',
                                f'--port={port}', '--reload_interval=1'],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'tensorboard exited with status {process.returncode}')
        try:
            if _get_json(f'http://127.0.0.1:{port}/data/plugin/scalars/tags'):
                return process
        except OSError:
            pass
        time.sleep(1)
    stop(process)
    raise RuntimeError(f'tensorboard did not serve scalars within {timeout} s')


def stop(process):
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def runs_by_tag(port):
    """{tag: sorted runs holding it}, from TensorBoard's scalars API (the runs it draws in the tag's chart)."""
    tags = _get_json(f'http://127.0.0.1:{port}/data/plugin/scalars/tags')
    out = {}
    for run, run_tags in tags.items():
        for tag in run_tags:
            out.setdefault(tag, []).append(run)
    return {tag: sorted(runs) for tag, runs in out.items()}


def screenshot(chromium, port, path, tag='loss'):
    """A PNG of the SCALARS dashboard filtered to `tag`, as headless Chromium renders it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    url = f'http://127.0.0.1:{port}/?darkMode=false#scalars&tagFilter=%5E{tag}%24&_smoothingWeight=0'
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
                        f'--user-data-dir={profile}', f'--screenshot={os.path.abspath(path)}',
                        '--window-size=1600,1000', '--virtual-time-budget=20000', url],
                       check=True, capture_output=True, timeout=180)
    return path


def check(logdir, out, chromium=None):
    """Serve logdir, read which runs share each tag, screenshot the SCALARS: -> a dict of what was found."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise RuntimeError('Chromium is not installed (Debian: apt-get install chromium)')
    port = free_port()
    process = start_tensorboard(logdir, port)
    try:
        shared = runs_by_tag(port)
        screenshot(chromium, port, out)
    finally:
        stop(process)
    return {'logdir': str(logdir), 'screenshot': str(out), 'runs_by_tag': shared}


def train_example(folder, data_dir):
    """The spec's dense VAE, 3 epochs on MNIST, with its results: -> its summary root."""
    sys.path.insert(0, ROOT)
    import VAE_main
    argv = [f'--data_dir={data_dir}', f'--checkpoint_dir={folder}/checkpoint', f'--log_dir={folder}/summary',
            f'--result_dir={folder}/results', '--sigma=0.001', '--z_dim=8', '--hidden_dim=64', '--num_layers=2',
            '--batch_size=32', '--l_rate=0.01', '--epochs=3', '--results=1', '--iw_samples=10']
    if VAE_main.run(argv) != 0:
        raise RuntimeError('training the example run failed')
    return os.path.join(folder, 'summary')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--logdir', help='summary folder to show (default: train an example run first)')
    parser.add_argument('--out', default=os.path.join(ROOT, 'benchmarks', 'results', 'tensorboard_scalars.png'))
    parser.add_argument('--data_dir', default=os.path.join(os.path.dirname(ROOT), 'shared', 'data'))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        logdir = args.logdir or train_example(scratch, args.data_dir)
        print(json.dumps(check(logdir, args.out)))


if __name__ == '__main__':
    main()
