"""End to end: VAE_main.py and GMVAE_main.py on small generated MNIST/FREY files."""
import gzip
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.io
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import GMVAE_main
import VAE_main
from tests.conftest import blobs
from utils import data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _idx(array, magic):
    header = magic.to_bytes(4, 'big') + b''.join(d.to_bytes(4, 'big') for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def mnist_dir(tmp_path, monkeypatch):
    """Blob images in MNIST's IDX format: 5,300 training (5,000 become validation) and 200 test."""
    folder = tmp_path / 'data'
    folder.mkdir()
    for prefix, n in (('train', 5300), ('t10k', 200)):
        x, y = blobs(n, (28, 28), seed=n)
        files = {f'{prefix}-images-idx3-ubyte.gz': _idx(x[..., 0] * 255, 0x803),
                 f'{prefix}-labels-idx1-ubyte.gz': _idx(y, 0x801)}
        for name, content in files.items():
            (folder / name).write_bytes(content)
            monkeypatch.setitem(data.ALL_CHECKSUMS, name, hashlib.sha256(content).hexdigest())
    return str(folder)


@pytest.fixture
def frey_dir(tmp_path, monkeypatch):
    """300 blob faces of 28x20 in the layout of frey_rawface.mat."""
    folder = tmp_path / 'frey'
    folder.mkdir()
    x, _ = blobs(300, (28, 20))
    path = folder / 'frey_rawface.mat'
    scipy.io.savemat(path, {'ff': (x.reshape(300, 560).T * 255).astype(np.uint8)})
    monkeypatch.setitem(data.ALL_CHECKSUMS, 'frey_rawface.mat', hashlib.sha256(path.read_bytes()).hexdigest())
    return str(folder)


def common(tmp_path, data_dir):
    return [f'--data_dir={data_dir}', f'--checkpoint_dir={tmp_path}/ckpt', f'--log_dir={tmp_path}/summary',
            f'--result_dir={tmp_path}/results', '--epochs=1', '--batch_size=32', '--hidden_dim=32',
            '--sigma=0.01', '--z_dim=2']


def event_tags(summary_dir):
    acc = EventAccumulator(summary_dir, size_guidance={'tensors': 0})
    acc.Reload()
    return acc


def test_vae_main_trains_restores_and_produces_results(tmp_path, mnist_dir):
    argv = common(tmp_path, mnist_dir) + ['--model_type=0', '--drop_prob=0.3', '--l_rate=0.01', '--train=1',
                                          '--results=1', '--plot=1', '--restore=1', '--early_stopping=1']
    assert VAE_main.run(argv) == 0
    name = 'V_MNIST_001_2_32_2'
    ckpt, summary, results = (tmp_path / d / name for d in ('ckpt', 'summary', 'results'))
    assert (ckpt / 'ckpt-1.index').exists() and (ckpt / 'config.json').exists()
    metrics = json.loads((results / 'metrics.json').read_text())
    assert metrics['epochs_trained'] == 1 and np.isfinite(metrics['test/loss'])
    pngs = sorted(p.name for p in results.glob('*.png'))
    assert pngs == [f'{name}_{f}.png' for f in ('interpolations', 'latent_space', 'losses', 'manifold',
                                                'reconstructions', 'samples', 'scatter_z')]
    assert metrics['test/iw_samples'] == 1000 and metrics['test/nll_iwae'] <= metrics['test/loss'] + 1.0
    assert (summary / 'train.log').read_text().count('epoch 1/1') == 1

    # TensorBoard: scalars, histograms (also shown as distributions), the graph and the projector.
    # The train and validation runs share the tags, so each term's curves overlay in one chart.
    train, valid = event_tags(str(summary / 'train')), event_tags(str(summary / 'validation'))
    assert {'loss', 'reconstruction', 'kl_z'} <= set(train.Tags()['tensors']) & set(valid.Tags()['tensors'])
    assert 'latent/z_mean' in valid.Tags()['tensors']
    assert any(t.startswith('weights/') for t in train.Tags()['tensors'])
    assert train.SummaryMetadata('train_step').plugin_data.plugin_name == 'graph_run_metadata_graph'
    assert {'figures/reconstructions', 'figures/samples'} <= set(event_tags(str(summary)).Tags()['tensors'])
    assert (summary / 'projector_config.pbtxt').exists() and (summary / 'sprite.png').exists()

    # Results only, from the checkpoint: same test metrics, no training.
    assert VAE_main.run(argv[:-5] + ['--train=0', '--results=1', '--plot=0', '--restore=1']) == 0
    again = json.loads((results / 'metrics.json').read_text())
    assert again['epochs_trained'] == 1
    assert again['test/kl_z'] == pytest.approx(metrics['test/kl_z'], rel=1e-5)


def test_vae_cnn_main_on_frey(tmp_path, frey_dir):
    argv = common(tmp_path, frey_dir) + ['--model_type=1', '--dataset_name=FREY', '--results=1', '--plot=1',
                                         '--iw_samples=10']   # a CNN's 1000 samples per image took most of it
    assert VAE_main.run(argv) == 0
    results = tmp_path / 'results' / 'VC_FREY_001_2_32_2'
    assert len(list(results.glob('*.png'))) == 7   # with the interpolations, the z_dim 2 manifold and z scatter
    assert 'test/kmeans_nmi' not in json.loads((results / 'metrics.json').read_text())


def test_gmvae_main_spec_example_trains_then_restores(tmp_path, frey_dir):
    spec = ['--model_type=3', '--dataset_name=FREY', '--sigma=0.001', '--z_dim=8', '--w_dim=2', '--K_clusters=8',
            '--hidden_dim=64', '--num_layers=2', '--epochs=1', '--batch_size=32', '--drop_prob=0.3',
            '--l_rate=0.01', '--results=1', '--plot=1', '--restore=1', '--early_stopping=1',
            '--iw_samples=10']   # not the spec's: the CNN's 1000 samples per image took most of the test
    dirs = common(tmp_path, frey_dir)[:4]
    assert GMVAE_main.run(dirs + spec + ['--train=1']) == 0
    assert GMVAE_main.run(dirs + spec + ['--train=0']) == 0
    results = tmp_path / 'results' / 'GMVC_FREY_0001_8_2_64_2_8'
    metrics = json.loads((results / 'metrics.json').read_text())
    assert {'test/kl_z', 'test/kl_w', 'test/kl_y', 'test/clusters_in_use', 'test/nll_iwae'} <= set(metrics)


def test_restore_without_checkpoint_and_missing_data_fail_with_one_sentence(tmp_path, mnist_dir, capsys):
    assert VAE_main.run(common(tmp_path, mnist_dir) + ['--train=0', '--results=1', '--restore=1']) == 2
    assert 'train it first' in capsys.readouterr().err
    assert VAE_main.run(common(tmp_path, tmp_path / 'nowhere') + ['--dataset_name=FREY']) == 2
    err = capsys.readouterr().err
    assert 'frey_rawface.mat' in err and 'Traceback' not in err


def test_command_line_errors_come_back_as_exit_2_without_traceback():
    result = subprocess.run([sys.executable, 'VAE_main.py', '--model_type=3'], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'GMVAE_main.py' in result.stderr and 'Traceback' not in result.stderr
