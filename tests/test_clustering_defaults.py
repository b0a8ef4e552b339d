"""The GMVAE's defaults for a user's own images (the clustering defaults of docs/clustering.md), its k-means
placement of the mixture, and the command a user types finding both clusters of a generated set."""
import csv
import math

import numpy as np
import pytest

import GMVAE_main
from Alg_GMVAE.GMVAE_graph import GMVAEGraph
from Alg_GMVAE.GMVAE_model import placement_never_happens
from utils.args import FREE_BITS_SHARE, ORIGINAL_DEFAULTS, OWN_IMAGES_DEFAULTS, parse_args, tsne_placement_epochs
from utils.metrics import hungarian_accuracy


def chosen(args):
    return {name: getattr(args, name) for name in ORIGINAL_DEFAULTS if hasattr(args, name)}


@pytest.mark.parametrize('K', [2, 10, 16])
def test_a_gmvae_on_a_folder_gets_the_clustering_defaults(K):
    args = parse_args('GMVAE', ['--dataset_name=my_photos', f'--K_clusters={K}'])
    assert chosen(args) == {**OWN_IMAGES_DEFAULTS,
                            'y_prior_threshold': pytest.approx(FREE_BITS_SHARE * math.log(K), abs=1e-4)}


@pytest.mark.parametrize('name', ['MNIST', 'frey'])
def test_mnist_and_frey_keep_the_original_defaults(name):
    assert chosen(parse_args('GMVAE', [f'--dataset_name={name}'])) == ORIGINAL_DEFAULTS


def test_no_free_bits_nor_given_clusters_by_default_under_the_iwae_objective_which_has_no_kl_y():
    args = parse_args('GMVAE', ['--dataset_name=mine', '--iw_train_samples=5'])
    assert (args.y_prior_threshold, args.tsne_label_epochs) == (0, 0)


@pytest.mark.parametrize('flags', [['--tsne_label_epochs=-1'], ['--tsne_label_epochs=5', '--iw_train_samples=5']])
def test_given_clusters_that_cannot_be_given_are_refused(flags, capsys):
    with pytest.raises(SystemExit):
        parse_args('GMVAE', ['--dataset_name=mine', *flags])
    assert '--tsne_label_epochs' in capsys.readouterr().err


def test_the_flags_a_user_gives_win_and_the_vae_keeps_the_originals():
    args = parse_args('GMVAE', ['--dataset_name=mine', '--z_dim=2', '--y_prior_threshold=0', '--kmeans_init_epoch=0',
                                '--sigma=0.1'])
    assert (args.z_dim, args.y_prior_threshold, args.kmeans_init_epoch, args.sigma) == (2, 0, 0, 0.1)
    assert args.hidden_dim == OWN_IMAGES_DEFAULTS['hidden_dim']
    vae = parse_args('VAE', ['--dataset_name=mine'])
    assert chosen(vae) == {k: ORIGINAL_DEFAULTS[k] for k in ('epochs', 'sigma', 'z_dim', 'hidden_dim')}


def test_placed_components_are_the_given_gaussians_whatever_w():
    graph = GMVAEGraph((8, 8, 1), sigma=0.1, z_dim=2, w_dim=3, K_clusters=3, hidden_dim=8, num_layers=1)
    graph.loss_terms(np.zeros((1, 8, 8, 1), np.float32))   # builds the variables
    means = np.array([[-3.0, 0.0], [0.0, 2.0], [4.0, 1.0]])
    variances = np.array([[0.5, 0.2], [1.0, 1.0], [0.01, 500.0]])   # softplus^-1(500) overflows a naive float32 inverse
    graph.place_components(means, variances)
    got_means, got_log_vars = graph.prior_z(np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32))
    assert np.allclose(got_means, np.broadcast_to(means, (5, 3, 2)), atol=1e-6)
    assert np.allclose(np.exp(got_log_vars), np.broadcast_to(variances, (5, 3, 2)), rtol=1e-4)


def test_a_placement_that_the_run_never_reaches_is_named():
    assert placement_never_happens(100, kmeans_init_epoch=10, tsne_init_epoch=30) is None
    assert placement_never_happens(5, kmeans_init_epoch=0, tsne_init_epoch=0) is None
    assert '--tsne_init_epoch=30 not below --epochs=20' in placement_never_happens(20, kmeans_init_epoch=10,
                                                                                   tsne_init_epoch=30)
    assert '--kmeans_init_epoch=10 and --tsne_init_epoch=30' in placement_never_happens(10, kmeans_init_epoch=10,
                                                                                        tsne_init_epoch=30)


@pytest.mark.parametrize('flags, epochs', [([], (30, 45, 60, 75, 90)), (['--tsne_repeat_epochs=0'], (30,)),
                                           (['--tsne_repeat_epochs=25', '--epochs=80'], (30, 55)),
                                           (['--tsne_init_epoch=0'], ()), (['--epochs=30'], ())])
def test_the_t_sne_placement_repeats_every_tsne_repeat_epochs_within_the_run(flags, epochs):
    assert tsne_placement_epochs(parse_args('GMVAE', ['--dataset_name=mine', *flags])) == epochs


@pytest.mark.parametrize('flags, said', [(['--kmeans_init_epoch=5', '--tsne_init_epoch=5'], 'at epoch 5'),
                                         (['--kmeans_init_epoch=60'], 'at epoch 60'),   # the first repeat
                                         (['--tsne_repeat_epochs=-1'], '--tsne_repeat_epochs must be >= 0')])
def test_two_placements_on_one_epoch_and_a_negative_repeat_are_refused(flags, said, capsys):
    with pytest.raises(SystemExit):
        parse_args('GMVAE', ['--dataset_name=mine', *flags])
    assert said in capsys.readouterr().err


def two_patterns(n, seed=0):
    """n 8x8 images: a bright top half (label 0) or a bright left half (label 1), with noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.uniform(0, 0.3, (n, 8, 8))
    x[y == 0, :4, :] += 0.6
    x[y == 1, :, :4] += 0.6
    return np.rint(np.clip(x, 0, 1) * 255).astype(np.uint8), y


def test_the_command_a_user_types_finds_both_clusters_of_a_generated_set(tmp_path):
    x, y = two_patterns(120)
    np.savez(tmp_path / 'two.npz', x=x, y=y)
    dirs = [f'--checkpoint_dir={tmp_path}/ckpt', f'--log_dir={tmp_path}/summary', f'--result_dir={tmp_path}/results']
    assert GMVAE_main.run(['--dataset_name=two', f'--data_dir={tmp_path}', '--K_clusters=2', '--results=1',
                           '--summary=0', *dirs]) == 0
    run = 'GMV_two_001_10_4_256_2_2'
    with open(tmp_path / 'results' / run / 'assignments.csv', newline='') as f:
        table = list(csv.DictReader(f))
    labels = np.array([int(r['label']) for r in table])
    clusters = np.array([int(r['cluster']) for r in table])
    assert len(table) == 120 and hungarian_accuracy(labels, clusters) >= 0.95
    log = (tmp_path / 'summary' / run / 'train.log').read_text()
    assert 'Epoch 10: the 2 components of p(z|w,y) placed on k-means of the training images' in log
    assert 'Epoch 30: the 2 components of p(z|w,y) placed on t-SNE + k-means of the posterior means of z' in log
    assert f'Epochs 31-{30 + OWN_IMAGES_DEFAULTS["tsne_label_epochs"]}: these 96 images train with their t-SNE' in log
    for epoch in (45, 60, 75, 90):   # placed again every --tsne_repeat_epochs, the clusters given anew until the release
        assert f'Epoch {epoch}: the 2 components of p(z|w,y) placed on t-SNE + k-means' in log
        assert f'Epochs {epoch + 1}-100: these 96 images train with their t-SNE cluster as y given' in log



def test_early_stopping_waits_for_each_placement_and_then_judges_the_placed_model(tmp_path):
    """With patience 1 and no epoch ever a gain of min_delta, a run stops one epoch after its best; each placement
    starts the count again, so the run trains on one epoch past the last placement (4) and then stops."""
    x, y = two_patterns(60)
    np.savez(tmp_path / 'two.npz', x=x, y=y)
    dirs = [f'--checkpoint_dir={tmp_path}/ckpt', f'--log_dir={tmp_path}/summary', f'--result_dir={tmp_path}/results']
    assert GMVAE_main.run(['--dataset_name=two', f'--data_dir={tmp_path}', '--K_clusters=2', '--summary=0',
                           '--hidden_dim=16', '--epochs=8', '--kmeans_init_epoch=2', '--tsne_init_epoch=4',
                           '--batch_size=16', '--patience=1', '--min_delta=1e6', *dirs]) == 0
    log = (tmp_path / 'summary' / 'GMV_two_001_10_4_16_2_2' / 'train.log').read_text()
    assert 'Epoch 2: the 2 components' in log and 'Epoch 4: the 2 components of p(z|w,y) placed on t-SNE' in log
    assert 'epoch 6/8' in log and 'epoch 7/8' not in log
    assert 'Restored the weights of the best validation loss' in log and 'epoch 5)' in log
