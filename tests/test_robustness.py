"""Nothing lost, nothing silent: interruption, exact resume, damaged checkpoints, hostile command lines,
unexpected errors and repeatability."""
import contextlib
import glob
import hashlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import scipy.io
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import GMVAE_main
import VAE_main
from Alg_GMVAE.GMVAE_graph import GMVAEGraph
from Alg_GMVAE.GMVAE_model import GMVAEModel
from Alg_GMVAE.GMVAECNN_graph import GMVAECNNGraph
from Alg_VAE.VAE_graph import VAEGraph
from Alg_VAE.VAE_model import VAEModel
from Alg_VAE.VAECNN_graph import VAECNNGraph
from base.base_model import BaseModel, Interrupted, RunError, RunPaths
from base.memory import memory_problem, parameter_count
from tests.test_main import _idx, frey_dir, mnist_dir  # noqa: F401 (fixtures)
from tests.test_model import copy_of, tiny_dataset
from utils import data
from utils.args import build_parser, parse_args, run_name
from utils.interrupt import ForcedStop, StopRequest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRAPHS = {0: (VAEGraph, VAEModel), 1: (VAECNNGraph, VAEModel), 2: (GMVAEGraph, GMVAEModel),
          3: (GMVAECNNGraph, GMVAEModel)}
FAMILY = {0: 'VAE', 1: 'VAE', 2: 'GMVAE', 3: 'GMVAE'}
RUN = {'VAE': VAE_main.run, 'GMVAE': GMVAE_main.run}


def small(tmp_path, data_dir, *flags):
    """Flags of a tiny, fast run with its folders under tmp_path."""
    return [f'--data_dir={data_dir}', f'--checkpoint_dir={tmp_path}/ckpt', f'--log_dir={tmp_path}/summary',
            f'--result_dir={tmp_path}/results', '--hidden_dim=16', '--z_dim=2', '--sigma=0.1', '--summary=0',
            *flags]


def make_model(tmp_path, model_type, *flags, strategy=None):
    family = FAMILY[model_type]
    gm = ['--w_dim=2', '--K_clusters=3'] if family == 'GMVAE' else []
    args = parse_args(family, [f'--model_type={model_type}', '--z_dim=2', '--hidden_dim=16', '--batch_size=16',
                               '--sigma=0.1', '--summary=0', f'--checkpoint_dir={tmp_path}/ckpt',
                               f'--log_dir={tmp_path}/summary', f'--result_dir={tmp_path}/results', *gm, *flags])
    keras.utils.set_random_seed(args.seed)
    dataset = tiny_dataset()
    graph_class, model_class = GRAPHS[model_type]
    graph = graph_class.from_args(args, dataset.image_shape)
    return model_class(graph, args, dataset, RunPaths.from_args(run_name(args), args), logging.getLogger('robust'),
                       strategy)


def one_error_line(err):
    """The one error sentence of a failed run's stderr (which also holds its progress lines), checked."""
    lines = [line for line in err.splitlines() if line.startswith('error: ') or '_main.py: error: ' in line]
    assert len(lines) == 1 and 'Traceback' not in err, err
    return lines[0]


def status(call, *args):
    """Exit status of VAE_main.run / GMVAE_main.run: what it returns, or the code of the SystemExit it raises."""
    try:
        return call(*args)
    except SystemExit as exit_:
        return exit_.code


def checkpoint_tensors(path):
    """The tensors of a checkpoint, without its bookkeeping (object graph, count of saves by the process)."""
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if name not in ('_CHECKPOINTABLE_OBJECT_GRAPH', 'save_counter/.ATTRIBUTES/VARIABLE_VALUE')}


def assert_same_state(a, b):
    for va, vb in zip(a.graph.variables + a.optimizer.variables, b.graph.variables + b.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(va), np.asarray(vb), err_msg=va.path)
    timeless = [{k: v for k, v in m.history.items() if k != 'seconds'} for m in (a, b)]
    assert timeless[0] == timeless[1]
    assert int(a.epoch.numpy()) == int(b.epoch.numpy())


# ---------------------------------------------------------------------- interruption
def test_stop_request_records_the_first_signal_and_a_second_stops_at_once():
    before = signal.getsignal(signal.SIGINT)
    with StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.name == 'SIGTERM'
        with pytest.raises(ForcedStop) as forced:
            os.kill(os.getpid(), signal.SIGINT)
        assert forced.value.signum == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is before


def start_run(tmp_path, argv, delay):
    """VAE_main as a process (tests/run_main.py), each epoch delayed; returns it once epoch 1 is logged."""
    env = dict(os.environ, EPOCH_DELAY_S=str(delay))
    proc = subprocess.Popen([sys.executable, 'tests/run_main.py', 'VAE', *argv], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = glob.escape(str(tmp_path)) + '/summary/*/train.log'
    deadline = time.time() + 240
    while not any('epoch 1/' in open(f).read() for f in glob.glob(log)):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.time() < deadline, 'epoch 1 never ended'
        time.sleep(0.2)
    return proc


def test_sigint_saves_the_epoch_and_restore_ends_as_an_uninterrupted_run(tmp_path, frey_dir):
    flags = ('--dataset_name=FREY', '--epochs=4', '--drop_prob=0.3', '--likelihood=bernoulli', '--batch_size=16')
    argv = small(tmp_path / 'stopped', frey_dir, *flags)
    proc = start_run(tmp_path / 'stopped', argv, delay=1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 130, err
    assert 'Traceback' not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith('error: Stopped by SIGINT after saving epoch ') and last.endswith('--restore=1'), last
    saved = int(last.split('saving epoch ')[1].split()[0])
    assert 1 <= saved < 4
    name = 'V_FREY_01_2_16_2_bernoulli'
    stopped = tmp_path / 'stopped' / 'ckpt' / name
    assert os.path.exists(f'{stopped}/ckpt-{saved}.index') and not glob.glob(f'{stopped}/ckpt-4.*')

    assert VAE_main.run(argv + ['--restore=1']) == 0
    assert VAE_main.run(small(tmp_path / 'whole', frey_dir, *flags)) == 0
    whole = tmp_path / 'whole' / 'ckpt' / name
    resumed, uninterrupted = checkpoint_tensors(f'{stopped}/ckpt-4'), checkpoint_tensors(f'{whole}/ckpt-4')
    assert resumed.keys() == uninterrupted.keys()
    for key in resumed:
        np.testing.assert_array_equal(resumed[key], uninterrupted[key], err_msg=key)
    history = [json.loads((d / 'history.json').read_text())['history'] for d in (stopped, whole)]
    assert history[0]['valid/loss'] == history[1]['valid/loss'] and len(history[0]['valid/loss']) == 4


def test_sigterm_stops_with_status_143(tmp_path, frey_dir):
    argv = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=3')
    proc = start_run(tmp_path, argv, delay=1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 143, err
    assert 'error: Stopped by SIGTERM after saving epoch' in err and 'Traceback' not in err


def signal_during(monkeypatch, epoch, signum=signal.SIGINT):
    """Make this process receive `signum` while it validates epoch `epoch` (1-based) of its training."""
    evaluate = BaseModel.evaluate

    def evaluate_and_signal(self, x):
        if x is self.x_valid and int(self.epoch.numpy()) + 1 == epoch:
            os.kill(os.getpid(), signum)
        return evaluate(self, x)

    monkeypatch.setattr(BaseModel, 'evaluate', evaluate_and_signal)


def test_a_stop_in_the_last_epoch_skips_the_results_until_restored(tmp_path, frey_dir, monkeypatch, capsys):
    argv = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=2', '--results=1', '--iw_samples=5')
    evaluate = BaseModel.evaluate
    signal_during(monkeypatch, 2)
    assert VAE_main.run(argv) == 130
    line = one_error_line(capsys.readouterr().err)
    assert 'training ended (epoch 2 saved' in line and line.endswith('--restore=1')
    results = tmp_path / 'results' / 'V_FREY_01_2_16_2' / 'metrics.json'
    assert not results.exists()
    monkeypatch.setattr(BaseModel, 'evaluate', evaluate)
    assert VAE_main.run(argv + ['--restore=1']) == 0
    assert json.loads(results.read_text())['epochs_trained'] == 2


# ---------------------------------------------------------------------- exact resume
def test_stop_and_restore_gives_the_weights_of_one_run(tmp_path, monkeypatch, model_type=0):
    """Dropout, Bernoulli noise, Adam and early stopping's best weights (best epoch 1, stop after 2)."""
    evaluate = BaseModel.evaluate
    scripted = {0: 1.0, 1: 3.0, 2: 2.0}   # validation loss of epochs 1, 2, 3: the best is epoch 1

    def scripted_evaluate(self, x):
        terms = evaluate(self, x)
        return {**terms, 'loss': scripted[int(self.epoch.numpy())]} if x is self.x_valid else terms

    monkeypatch.setattr(BaseModel, 'evaluate', scripted_evaluate)
    flags = ('--epochs=3', '--drop_prob=0.3', '--likelihood=bernoulli')
    whole = make_model(tmp_path / 'whole', model_type, *flags)
    whole.train()
    assert int(whole.best_epoch.numpy()) == 1

    stopped = make_model(tmp_path / 'stopped', model_type, *flags)
    signal_during(monkeypatch, 2)
    with pytest.raises(Interrupted) as stop:
        stopped.train()
    assert (stop.value.epoch, stop.value.finished) == (2, False)
    monkeypatch.setattr(BaseModel, 'evaluate', scripted_evaluate)
    resumed = make_model(tmp_path / 'stopped', model_type, *flags)
    assert resumed.restore(required=True) and int(resumed.epoch.numpy()) == 2
    resumed.train()
    assert_same_state(whole, resumed)


def test_a_run_stopped_while_it_gives_clusters_resumes_with_them(tmp_path, monkeypatch):
    """The t-SNE clusters given at epoch 1 for 2 epochs are checkpointed: stopped after epoch 2, the run resumes
    with them as one run, and they are taken back before epoch 4."""
    flags = ('--epochs=4', '--tsne_init_epoch=1', '--tsne_label_epochs=2')
    whole = make_model(tmp_path / 'whole', 2, *flags)
    whole.train()
    assert np.all(whole.train_state['given_y'].numpy() == -1)
    stopped = make_model(tmp_path / 'stopped', 2, *flags)
    signal_during(monkeypatch, 2)
    with pytest.raises(Interrupted):
        stopped.train()
    monkeypatch.undo()
    resumed = make_model(tmp_path / 'stopped', 2, *flags)
    assert resumed.restore(required=True) and np.all(resumed.train_state['given_y'].numpy() >= 0)
    resumed.train()
    assert_same_state(whole, resumed)


# ---------------------------------------------------------------------- damaged checkpoints
def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records if r.name == 'robust' and r.levelno == logging.WARNING]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A dense VAE trained 3 epochs, and its folder; each test damages a copy."""
    folder = tmp_path_factory.mktemp('trained')
    model = make_model(folder, 0, '--epochs=3')
    model.train()
    return model, folder


def copied(trained, tmp_path):
    """The checkpoint folder of a copy, in tmp_path, of the trained run."""
    copy_of(trained, tmp_path)
    return str(tmp_path / 'ckpt' / trained[0].paths.name)


def test_damaged_newest_checkpoints_fall_back_to_older_ones(trained, tmp_path, caplog):
    folder = copied(trained, tmp_path)
    data_file = glob.glob(f'{folder}/ckpt-3.data-*')[0]
    with open(data_file, 'r+b') as f:
        f.truncate(os.path.getsize(data_file) // 2)
    again = make_model(tmp_path, 0, '--epochs=4')
    assert again.restore(required=True)
    assert int(again.epoch.numpy()) == 2 and len(again.history['valid/loss']) == 2
    assert again.stopper.best == min(trained[0].history['valid/loss'][:2])
    warning = warnings_of(caplog)
    assert len(warning) == 1 and 'ckpt-3' in warning[0] and "falling back to" in warning[0]

    index = f'{folder}/ckpt-2.index'
    garbled = bytearray(open(index, 'rb').read())
    garbled[len(garbled) // 2:] = b'x' * (len(garbled) - len(garbled) // 2)
    open(index, 'wb').write(bytes(garbled))
    again = make_model(tmp_path, 0, '--epochs=4')
    assert again.restore(required=True) and int(again.epoch.numpy()) == 1
    again.train()   # writes ckpt-2, ckpt-3 and ckpt-4 again
    last = make_model(tmp_path, 0, '--epochs=4')
    assert last.restore(required=True) and int(last.epoch.numpy()) == 4


def test_unreadable_checkpoint_index_and_history_are_warned_about(trained, tmp_path, caplog):
    folder = copied(trained, tmp_path)
    with open(os.path.join(folder, 'checkpoint'), 'wb') as f:
        f.write(b'\xff\xfe garbage')
    for name in ('history.json', 'config.json'):
        with open(os.path.join(folder, name), 'w') as f:
            f.write('{"history": [')
    again = make_model(tmp_path, 0)
    assert again.restore(required=True) and int(again.epoch.numpy()) == 3
    warnings = ' '.join(warnings_of(caplog))
    assert 'checkpoint.damaged' in warnings and 'history.json' in warnings and 'config.json' in warnings


def test_results_only_may_change_drop_prob(trained, tmp_path):
    copy_of(trained, tmp_path)
    evaluating = make_model(tmp_path, 0, '--drop_prob=0.5', '--train=0', '--results=1')
    assert evaluating.restore(required=True) and int(evaluating.epoch.numpy()) == 3


def test_a_checkpoint_of_the_older_layout_still_restores(tmp_path, caplog):
    model = make_model(tmp_path, 0, '--epochs=1')
    model.epoch.assign(1)
    tf.train.CheckpointManager(model.core_checkpoint, model.paths.checkpoint_dir, 3).save(checkpoint_number=1)
    again = make_model(tmp_path, 0, '--epochs=2')
    assert again.restore(required=True) and int(again.epoch.numpy()) == 1
    assert any('predates' in w for w in warnings_of(caplog))
    again.train()


def test_no_readable_checkpoint_is_one_sentence(tmp_path, frey_dir, capsys):
    argv = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=2')
    assert VAE_main.run(argv) == 0
    for path in glob.glob(f'{tmp_path}/ckpt/*/ckpt-*.data-*'):
        open(path, 'wb').close()
    capsys.readouterr()
    assert VAE_main.run(argv + ['--restore=1', '--epochs=3']) == 2
    assert 'none of the 2 checkpoints' in one_error_line(capsys.readouterr().err)


# ---------------------------------------------------------------------- hostile command lines
def flag_names():
    names = set()
    for family in ('VAE', 'GMVAE'):
        for action in build_parser(family)._actions:
            names.update(s for s in action.option_strings if s not in ('-h', '--help'))
    return sorted(names)


ODD_VALUES = ['', '0', '1', '-1', '2', '3', '4', '1e309', 'nan', '-inf', '0.5', '1e-300', '9' * 30, '2147483648',
              '4294967296', 'MNIST', 'frey', 'gaussian', 'bernoulli', 'yes', 'x\ny', 'a\x00b', '\udcff', '/',
              '/nonexistent/dir', 'é', ' ', '--', '-', '=', '--l', '-h1']
TOKENS = st.one_of(st.sampled_from(flag_names()),
                   st.builds(lambda f, v: f'{f}={v}', st.sampled_from(flag_names()), st.sampled_from(ODD_VALUES)),
                   st.sampled_from(ODD_VALUES), st.text(max_size=8))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=st.sampled_from(['VAE', 'GMVAE']), argv=st.lists(TOKENS, max_size=6))
def test_any_command_line_parses_or_exits_2_with_one_line(family, argv):
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            args = parse_args(family, argv)
        except SystemExit as exit_:
            if exit_.code == 0:   # a drawn token was -h or a prefix of --help
                assert out.getvalue().startswith('usage:') and err.getvalue() == ''
                return
            assert exit_.code == 2
            line = one_error_line(err.getvalue())
            assert line.startswith(f'{family}_main.py: error: ') and line.isprintable()
            return
    assert err.getvalue() == ''
    assert '/' not in run_name(args) and args.family == family


def test_unwritable_output_folders_are_one_sentence(tmp_path, frey_dir, capsys):
    blocker = tmp_path / 'a_file'
    blocker.write_text('not a folder')
    assert VAE_main.run(small(tmp_path, frey_dir, '--dataset_name=FREY', f'--result_dir={blocker}/sub')) == 2
    assert 'cannot create the output folder' in one_error_line(capsys.readouterr().err)
    if os.geteuid() == 0:
        return   # root writes through chmod 0o500: the path under a file above stands for it
    locked = tmp_path / 'locked'
    locked.mkdir(mode=0o500)
    assert VAE_main.run(small(tmp_path, frey_dir, '--dataset_name=FREY', f'--log_dir={locked}/x')) == 2
    one_error_line(capsys.readouterr().err)


def bad_frey(folder, content):
    folder.mkdir()
    path = folder / 'frey_rawface.mat'
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is None:
        path.mkdir()
    else:
        scipy.io.savemat(path, {'ff': content})
    return str(folder)


@pytest.mark.parametrize('content, expected', [
    (b'', 'is empty'),
    (np.zeros((100, 50), np.uint8), "no uint8 variable 'ff' of shape (560, N)"),
    (None, 'cannot be read'),
])
def test_unusable_data_files_are_one_sentence(tmp_path, monkeypatch, capsys, content, expected):
    folder = bad_frey(tmp_path / 'frey', content)
    path = os.path.join(folder, 'frey_rawface.mat')
    if os.path.isfile(path):
        monkeypatch.setitem(data.ALL_CHECKSUMS, 'frey_rawface.mat',
                            hashlib.sha256(open(path, 'rb').read()).hexdigest())
    assert VAE_main.run(small(tmp_path, folder, '--dataset_name=FREY')) == 2
    assert expected in one_error_line(capsys.readouterr().err)


def test_wrong_shaped_mnist_images_are_one_sentence(tmp_path, mnist_dir, monkeypatch, capsys):
    content = _idx(np.zeros((5300, 10, 10)), 0x803)
    (tmp_path / 'data' / 'train-images-idx3-ubyte.gz').write_bytes(content)
    monkeypatch.setitem(data.ALL_CHECKSUMS, 'train-images-idx3-ubyte.gz', hashlib.sha256(content).hexdigest())
    assert VAE_main.run(small(tmp_path, mnist_dir)) == 2
    assert 'not 28x28' in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize('family, flags, expected', [
    ('VAE', ['--batch_size=100000'], 'larger than the 240 training images'),
    ('GMVAE', ['--K_clusters=1'], 'at least 2'),
    ('VAE', ['--hidden_dim=1000000', '--num_layers=100000'], 'GB of memory'),
    ('GMVAE', ['--z_dim=100000', '--K_clusters=100000'], 'GB of memory'),
    ('VAE', ['--num_layers=2147483648'], 'at most 2147483647'),
    ('VAE', ['--seed=4294967296'], '--seed must be in'),
    ('VAE', ['--iw_samples=99999999999', '--results=1'], 'at most'),
    ('VAE', ['--learning_rate=1e30'], 'became'),
])
def test_hostile_flags_through_main_are_one_sentence(tmp_path, frey_dir, capsys, family, flags, expected):
    assert status(RUN[family], small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=1', *flags)) == 2
    line = one_error_line(capsys.readouterr().err)
    assert expected in line
    if expected == 'GB of memory':
        assert line.count('GB') == 2


def test_missing_or_misplaced_data_folder_is_one_sentence(tmp_path, capsys):
    assert VAE_main.run(small(tmp_path, tmp_path / 'no' / 'such', '--dataset_name=FREY')) == 2
    assert 'frey_rawface.mat' in one_error_line(capsys.readouterr().err)
    (tmp_path / 'plain_file').write_text('x')
    assert VAE_main.run(small(tmp_path, tmp_path / 'plain_file', '--dataset_name=FREY')) == 2
    assert 'is not a folder' in one_error_line(capsys.readouterr().err)
    assert status(VAE_main.run, small(tmp_path, 'a\x00b', '--dataset_name=FREY')) == 2
    assert 'control or undecodable' in one_error_line(capsys.readouterr().err)


def test_memory_estimate_counts_the_weights_exactly():
    for model_type, (graph_class, _) in GRAPHS.items():
        family = FAMILY[model_type]
        gm = ['--w_dim=3', '--K_clusters=4'] if family == 'GMVAE' else []
        args = parse_args(family, [f'--model_type={model_type}', '--hidden_dim=8', '--num_layers=3', '--z_dim=2',
                                   '--drop_prob=0.1', *gm])
        for shape in ((28, 28, 1), (28, 20, 1), (27, 19, 1), (8, 8, 3), (33, 47, 3), (128, 128, 3)):
            graph = graph_class.from_args(args, shape)
            graph.loss_terms(tf.zeros((1,) + shape))
            assert parameter_count(args, shape) == sum(int(np.prod(w.shape)) for w in graph.weights)
    dataset = tiny_dataset()
    assert memory_problem(args, dataset) is None
    assert 'but the machine has 0.0 GB' in memory_problem(args, dataset, available=1)


# ---------------------------------------------------------------------- unexpected errors
@pytest.mark.parametrize('error, status, expected', [
    (ZeroDivisionError('boom\nsecond line'), 1, 'unexpected ZeroDivisionError (boom); the traceback is in'),
    (OSError(28, 'No space left on device', '/full/disk'), 2, "cannot read or write '/full/disk'"),
    (MemoryError(), 2, 'out of memory'),
])
def test_unexpected_errors_are_one_sentence_and_the_traceback_goes_to_the_log(
        tmp_path, frey_dir, monkeypatch, capsys, error, status, expected):
    def fail(self):
        raise error

    monkeypatch.setattr(BaseModel, 'train', fail)
    assert VAE_main.run(small(tmp_path, frey_dir, '--dataset_name=FREY')) == status
    out, err = capsys.readouterr()
    line = one_error_line(err)
    assert expected in line and 'Traceback' not in out
    log = (tmp_path / 'summary' / 'V_FREY_01_2_16_2' / 'train.log').read_text()
    assert ('Traceback' in log) == (status == 1)
    if status == 1:
        assert str(tmp_path / 'summary' / 'V_FREY_01_2_16_2' / 'train.log') in line


def test_unwritable_checkpoint_is_a_run_error(tmp_path, monkeypatch):
    model = make_model(tmp_path, 0, '--epochs=1')

    def full(*args, **kwargs):
        raise tf.errors.ResourceExhaustedError(None, None, 'No space left on device')

    monkeypatch.setattr(model.manager, 'save', full)
    with pytest.raises(RunError, match=r'cannot write the checkpoint of epoch 1 .*No space left'):
        model.train()


# ---------------------------------------------------------------------- repeatability
def test_same_seed_same_metrics(tmp_path, frey_dir):
    flags = ('--dataset_name=FREY', '--epochs=2', '--drop_prob=0.2', '--results=1', '--iw_samples=10', '--seed=7')
    for run in ('a', 'b'):
        assert VAE_main.run(small(tmp_path / run, frey_dir, *flags)) == 0
    a, b = ((tmp_path / run / 'results' / 'V_FREY_01_2_16_2' / 'metrics.json').read_text() for run in 'ab')
    assert a == b and 'test/nll_iwae' in json.loads(a)
