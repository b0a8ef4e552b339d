"""A collapsed mixture is never silent: the results say so in one line and metrics.json records it."""
import logging

import numpy as np
import pytest

from Alg_GMVAE.GMVAE_graph import GMVAEGraph
from Alg_GMVAE.GMVAE_model import GMVAEModel, collapse
from base.base_model import RunPaths
from tests.conftest import blobs
from utils.args import parse_args, run_name
from utils.data import Dataset, Split


def test_collapse_names_the_symptom_and_the_fix():
    assert collapse(2.5, 16, 16) is None
    by_kl = collapse(0.001, 16, 16)
    assert 'kl_y is 0.001 nats of at most log K = 2.77' in by_kl and '--y_prior_threshold' in by_kl
    by_use = collapse(2.7, 2, 16)
    assert '2 of the 16 clusters are in use' in by_use and '--warmup_epochs' in by_use


def test_a_model_whose_components_are_one_gaussian_is_reported_collapsed(tmp_path, caplog):
    x, y = blobs(60, (12, 12))
    dataset = Dataset('MNIST', Split(x[:40], y[:40]), Split(x[40:50], y[40:50]), Split(x[50:], y[50:]))
    args = parse_args('GMVAE', ['--z_dim=2', '--w_dim=2', '--K_clusters=4', '--hidden_dim=8', '--num_layers=1',
                                '--iw_samples=0', '--summary=0', f'--checkpoint_dir={tmp_path}/ckpt',
                                f'--log_dir={tmp_path}/summary', f'--result_dir={tmp_path}/results'])
    graph = GMVAEGraph.from_args(args, dataset.image_shape)
    model = GMVAEModel(graph, args, dataset, RunPaths.from_args(run_name(args), args), logging.getLogger('test'))
    for layer in (graph.prior_mean, graph.prior_raw_variance):   # every component the same Gaussian
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    model.make_figures = lambda vis: []   # the metrics only
    with caplog.at_level(logging.WARNING):
        metrics = model.results(plot=False)
    assert metrics['test/collapsed'] == 1 and metrics['test/kl_y'] == pytest.approx(0, abs=1e-6)
    assert [r.message for r in caplog.records if 'has collapsed' in r.message]
