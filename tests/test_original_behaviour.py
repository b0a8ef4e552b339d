"""What users of the original get: its defaults, dropout off unless asked for, --beta, results that load
the checkpoint, and the spec's example settings training well (on the real data, when present)."""
import json
import logging
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import GMVAE_main
import VAE_main
from Alg_GMVAE.GMVAECNN_graph import GMVAECNNGraph
from Alg_GMVAE.GMVAE_model import GMVAEModel
from Alg_VAE.VAE_graph import VAEGraph
from Alg_VAE.VAE_model import VAEModel
from base.base_model import RunError, RunPaths
from networks import batch_noise
from tests.conftest import blobs
from tests.test_args import SPEC_GMVAE, SPEC_VAE
from tests.test_main import ROOT, common, frey_dir  # noqa: F401 (fixture)
from utils.args import parse_args, run_name
from utils.data import Dataset, Split, load_dataset


def folders(tmp_path):
    return [f'--checkpoint_dir={tmp_path}/ckpt', f'--log_dir={tmp_path}/summary', f'--result_dir={tmp_path}/results']


def build(family, graph_class, model_class, argv, dataset):
    """The model that base.runner.main would build for `argv` on `dataset`."""
    args = parse_args(family, argv)
    keras.utils.set_random_seed(args.seed)
    graph = graph_class.from_args(args, dataset.image_shape)
    return model_class(graph, args, dataset, RunPaths.from_args(run_name(args), args), logging.getLogger('test'))


# ------------------------------------------------------------------ defaults
def test_defaults_are_the_original_codes():
    vae, gmvae = parse_args('VAE', []), parse_args('GMVAE', [])
    assert (vae.batch_size, vae.hidden_dim, vae.sigma, vae.z_dim, vae.learning_rate) == (64, 50, 0.1, 3, 0.001)
    assert (vae.epochs, vae.num_layers, vae.drop_prob, vae.beta, vae.patience) == (20, 2, 0.0, 1.0, 15)
    assert (gmvae.w_dim, gmvae.K_clusters, gmvae.z_dim) == (3, 10, 3)
    assert vae.dropout_on == 'none' and vae.min_delta == 0.1


def test_help_lists_every_default():
    out = subprocess.run([sys.executable, 'VAE_main.py', '--help'], cwd=ROOT, capture_output=True, text=True).stdout
    text = ' '.join(out.split())
    for phrase in ('(default 64)', '(default 50)', '(default 0.1;', '(default 3)', '(default 0.001)', '(default 15)',
                   '(default 1)', 'none (default', 'docs/defaults.md'):
        assert phrase in text, phrase


# ------------------------------------------------------------------ dropout
def _terms_with_fixed_noise(graph, x, training):
    with batch_noise.batch_noise(tf.constant([0, 1], tf.int64), tf.shape(x)[0]):
        return graph.per_example_terms(x, training=training)['reconstruction'].numpy()


@pytest.mark.parametrize('place, active', [('none', False), ('hidden', True), ('input', True)])
def test_drop_prob_acts_only_where_dropout_on_says(place, active):
    x = tf.constant(blobs(8, (28, 28))[0])
    args = parse_args('VAE', ['--drop_prob=0.3', f'--dropout_on={place}', '--sigma=0.01'])
    graph = VAEGraph.from_args(args, (28, 28, 1))
    training, evaluation = _terms_with_fixed_noise(graph, x, True), _terms_with_fixed_noise(graph, x, False)
    assert (not np.allclose(training, evaluation)) == active


def test_the_spec_examples_say_that_their_drop_prob_is_not_applied(tmp_path, frey_dir, capsys):  # noqa: F811
    argv = SPEC_GMVAE[:] + [f'--data_dir={frey_dir}', '--train=1', '--results=0', '--epochs=1', *folders(tmp_path)]
    assert GMVAE_main.run(argv) == 0
    assert '--drop_prob=0.3 is not applied' in capsys.readouterr().err + open(
        f'{tmp_path}/summary/GMVC_FREY_0001_8_2_64_2_8/train.log').read()


# ------------------------------------------------------------------ beta
@pytest.mark.parametrize('beta', [0.0, 0.5, 1.0, 4.0])
def test_beta_weights_the_kl_terms_of_the_objective_only(beta):
    x = tf.constant(blobs(16, (28, 28))[0])
    graph = VAEGraph.from_args(parse_args('VAE', [f'--beta={beta}', '--sigma=0.01']), (28, 28, 1))
    with batch_noise.batch_noise(tf.constant([0, 1], tf.int64), 16):
        terms = graph.loss_terms(x)
    np.testing.assert_allclose(terms['objective'].numpy(),
                               terms['reconstruction'].numpy() + beta * terms['kl_z'].numpy(), rtol=1e-6)
    np.testing.assert_allclose(terms['loss'].numpy(), terms['reconstruction'].numpy() + terms['kl_z'].numpy(),
                               rtol=1e-6)


def test_beta_is_saved_and_continuing_under_another_beta_is_refused(tmp_path):
    x, y = blobs(120, (28, 28))
    dataset = Dataset('MNIST', Split(x[:80], y[:80]), Split(x[80:100], y[80:100]), Split(x[100:], y[100:]))
    argv = ['--beta=4', '--epochs=1', '--batch_size=16', '--hidden_dim=16', *folders(tmp_path)]
    model = build('VAE', VAEGraph, VAEModel, argv, dataset)
    model.train()
    assert json.load(open(model.paths.config_file))['beta'] == 4.0
    again = build('VAE', VAEGraph, VAEModel, argv[1:] + ['--beta=1', '--epochs=2'], dataset)
    with pytest.raises(RunError, match=r'--beta \(saved 4.0, given 1.0\)'):
        again.restore(required=False)
    assert build('VAE', VAEGraph, VAEModel, argv + ['--epochs=2'], dataset).restore(required=False)


def test_beta_must_be_a_non_negative_number():
    with pytest.raises(SystemExit) as stop:
        parse_args('VAE', ['--beta=-1'])
    assert stop.value.code == 2


# ------------------------------------------------------------------ results load the checkpoint
def test_results_only_loads_the_checkpoint_whatever_restore_says(tmp_path, frey_dir, capsys):  # noqa: F811
    argv = common(tmp_path, frey_dir) + ['--dataset_name=FREY', '--iw_samples=5']   # FREY: 300 images, not 5,500
    assert VAE_main.run(argv + ['--epochs=2']) == 0
    assert VAE_main.run(argv + ['--epochs=2', '--train=0', '--restore=0', '--results=1']) == 0
    metrics = json.load(open(f'{tmp_path}/results/V_FREY_001_2_32_2/metrics.json'))
    assert metrics['epochs_trained'] == 2
    assert 'Restored' in capsys.readouterr().err + open(f'{tmp_path}/summary/V_FREY_001_2_32_2/train.log').read()


def test_results_only_without_a_checkpoint_is_one_sentence(tmp_path, frey_dir, capsys):  # noqa: F811
    status = VAE_main.run(common(tmp_path, frey_dir) + ['--dataset_name=FREY', '--train=0', '--restore=0',
                                                         '--results=1'])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert err[-1].startswith('error: no checkpoint of run') and 'train it first' in err[-1]
    assert not list((tmp_path / 'results').rglob('metrics.json'))


# ------------------------------------------------------------------ the spec's settings learn (real data)
@pytest.mark.slow
def test_spec_vae_settings_keep_improving_on_real_mnist(tmp_path, real_data_dir):
    """The spec's VAE flags (sigma 0.001, l_rate 0.01, drop_prob 0.3) on 20,000 real images: the validation
    loss falls from the first epochs on (with the dropout active it rose from epoch 2)."""
    full = load_dataset('MNIST', real_data_dir)
    subset = Dataset('MNIST', Split(full.train.x[:20000], full.train.y[:20000]),
                     Split(full.valid.x[:2000], full.valid.y[:2000]), Split(full.test.x[:10], full.test.y[:10]))
    model = build('VAE', VAEGraph, VAEModel, SPEC_VAE + ['--epochs=6', '--summary=0', *folders(tmp_path)], subset)
    model.train()
    valid = model.history['valid/loss']
    assert valid[-1] < valid[0] - 500 and min(valid) < valid[1], valid


@pytest.mark.slow
def test_spec_gmvae_settings_leave_the_mean_face_on_real_frey(tmp_path, real_data_dir):
    """The spec's FREY GMVAE-CNN flags, seed 1: with ReLU units the model stayed at the mean face (the
    validation loss near 1,700 nats for 20 epochs); it must fall far below it within 10 epochs."""
    frey = load_dataset('FREY', real_data_dir)
    argv = SPEC_GMVAE + ['--train=1', '--epochs=10', '--seed=1', '--summary=0', *folders(tmp_path)]
    model = build('GMVAE', GMVAECNNGraph, GMVAEModel, argv, frey)
    model.train()
    valid = model.history['valid/loss']
    assert min(valid) < valid[0] - 1000, valid
