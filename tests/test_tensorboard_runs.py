"""TensorBoard layout: train/, validation/ and test/ runs with the same tags (one chart per term), and
each run's flags and final metrics in the HPARAMS tab, read back from the event files."""
import os

import pytest
from tensorboard.backend.event_processing.plugin_event_multiplexer import EventMultiplexer
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams import plugin_data_pb2

from benchmarks import tensorboard_screenshot as screenshot
from tests import test_gmvae_model, test_model
from tests.test_visualize import read_png


def multiplexer(logdir):
    mux = EventMultiplexer(size_guidance={'tensors': 0})
    mux.AddRunsFromDirectory(str(logdir))
    mux.Reload()
    return mux


def scalar(mux, run, tag):
    """[(step, value)] of a scalar tag of a run."""
    import tensorflow as tf
    return [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in mux.Tensors(run, tag)]


def session_flags(mux, run):
    """The hparams of the HPARAMS session written in `run`."""
    content = mux.SummaryMetadata(run, hparams_metadata.SESSION_START_INFO_TAG).plugin_data.content
    info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    return info.group_name, {k: v.WhichOneof('kind') and getattr(v, v.WhichOneof('kind'))
                             for k, v in info.hparams.items()}


@pytest.mark.parametrize('family', ['VAE', 'GMVAE'])
def test_train_validation_and_test_runs_share_the_term_tags(tmp_path, family):
    if family == 'VAE':
        model, _ = test_model.make_model(tmp_path, '--iw_samples=3')
    else:
        model = test_gmvae_model.make_model(tmp_path, '--iw_samples=3')
    model.train()
    model.results(plot=False)
    name = model.paths.name
    mux = multiplexer(tmp_path / 'summary')
    runs = mux.Runs()
    assert {name, f'{name}/train', f'{name}/validation', f'{name}/test'} <= set(runs)
    for term in model.names:
        train = scalar(mux, f'{name}/train', term)
        valid = scalar(mux, f'{name}/validation', term)
        assert [s for s, _ in train] == [s for s, _ in valid] == [1, 2]
        assert valid[-1][1] == pytest.approx(model.history[f'valid/{term}'][-1], rel=1e-5)
        assert scalar(mux, f'{name}/test', term)[0][0] == 2
    assert not any('/' in tag and tag.split('/')[-1] in ('train', 'valid')
                   for run in runs for tag in mux.Runs()[run].get('tensors', []))


def test_hparams_session_holds_every_flag_of_each_run(tmp_path):
    for extra in ('a', 'b'):
        model, args = test_model.make_model(tmp_path, '--iw_samples=3', '--epochs=1', f'--extra={extra}')
        model.train()
        model.results(plot=False)
    mux = multiplexer(tmp_path / 'summary')
    sessions = [run for run in mux.Runs() if hparams_metadata.SESSION_START_INFO_TAG in mux.Runs()[run]['tensors']]
    assert sorted(sessions) == ['V_MNIST_01_2_16_2_a', 'V_MNIST_01_2_16_2_b']
    group, flags = session_flags(mux, 'V_MNIST_01_2_16_2_b')
    assert group == 'V_MNIST_01_2_16_2_b'
    assert flags['extra'] == 'b' and flags['z_dim'] == 2 and flags['learning_rate'] == pytest.approx(1e-3)
    assert os.path.isdir(tmp_path / 'summary' / 'V_MNIST_01_2_16_2_b' / 'test')


@pytest.mark.slow   # trains, serves TensorBoard and runs a browser
def test_tensorboard_draws_train_and_validation_in_one_chart_in_chromium(tmp_path):
    """TensorBoard itself, served and screenshotted by headless Chromium (skipped where Chromium is absent)."""
    if screenshot.find_chromium() is None:
        pytest.skip('Chromium is not installed (Debian: apt-get install chromium)')
    model, _ = test_model.make_model(tmp_path, '--iw_samples=0')
    model.train()
    found = screenshot.check(tmp_path / 'summary', tmp_path / 'scalars.png')
    name = model.paths.name
    assert {f'{name}/train', f'{name}/validation'} <= set(found['runs_by_tag']['loss'])
    height, width = read_png(str(tmp_path / 'scalars.png'))
    assert (width, height) == (1600, 1000)
