"""Nothing lost between runs: a new run never overwrites another run's files, one process per run folder,
and a failed save leaves nothing behind (base/run_folder.py)."""
import contextlib
import fcntl
import glob
import json
import os
import resource
import signal

import pytest

import VAE_main
from base.base_model import RunError
from tests.test_distribute import finish, start_workers
from tests.test_main import frey_dir  # noqa: F401 (fixture)
from tests.test_robustness import make_model, one_error_line, small, start_run
from utils.args import parse_args, run_name

NAME = 'V_FREY_01_2_16_2'   # the run of small(..., '--dataset_name=FREY')


def files_under(root):
    """{path relative to root: bytes} of every file under root, hidden ones too."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, 'rb') as f:
                found[os.path.relpath(path, root)] = f.read()
    return found


def outputs(tmp_path):
    """The files of every run folder under tmp_path (not the data)."""
    return {f'{d}/{k}': v for d in ('ckpt', 'summary', 'results') for k, v in files_under(tmp_path / d).items()}


def set_aside(tmp_path):
    """The files of the set-aside folders, under the name of the run they came from; and their one stamp."""
    folders = glob.glob(str(tmp_path / '*' / f'{NAME}.set-aside-*'))
    stamps = {folder.rsplit('.set-aside-', 1)[1] for folder in folders}
    assert len(stamps) == 1, folders
    stamp = stamps.pop()
    files = {k.replace(f'{NAME}.set-aside-{stamp}/', f'{NAME}/'): v for k, v in outputs(tmp_path).items()
             if f'.set-aside-{stamp}/' in k}
    return files, stamp


# ---------------------------------------------------------------------- never destroy a run by default
def test_a_learning_rate_sweep_never_overwrites_the_first_run(tmp_path, frey_dir, capsys):
    run_a = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=3', '--learning_rate=0.001')
    run_b = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=2', '--learning_rate=0.01')
    assert VAE_main.run(run_a) == 0
    files_a = outputs(tmp_path)
    assert f'ckpt/{NAME}/ckpt-3.index' in files_a
    capsys.readouterr()

    assert VAE_main.run(run_b) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"run '{NAME}'" in line and 'holds epoch 3' in line and '--learning_rate (saved 0.001, given 0.01)' in line
    assert all(way in line for way in ('--restore=1', '--extra=', '--overwrite=1')), line
    assert outputs(tmp_path) == files_a   # byte for byte, and nothing added (not even a log line)

    assert VAE_main.run(run_a) == 2   # the same command again would start it over too
    assert 'trained with the same flags' in one_error_line(capsys.readouterr().err)
    assert outputs(tmp_path) == files_a

    assert VAE_main.run(run_b + ['--overwrite=1']) == 0
    aside, stamp = set_aside(tmp_path)
    assert aside == files_a   # run A, whole and unchanged, in NAME.set-aside-STAMP folders
    ckpt = tmp_path / 'ckpt' / NAME
    assert sorted(os.listdir(ckpt)) == ['checkpoint', 'ckpt-1.data-00000-of-00001', 'ckpt-1.index',
                                        'ckpt-2.data-00000-of-00001', 'ckpt-2.index', 'config.json', 'history.json']
    assert json.loads((ckpt / 'config.json').read_text())['learning_rate'] == 0.01
    assert len(json.loads((ckpt / 'history.json').read_text())['history']['valid/loss']) == 2
    log = (tmp_path / 'summary' / NAME / 'train.log').read_text()
    assert 'set aside' in log and f"'{tmp_path}/ckpt/{NAME}.set-aside-{stamp}'" in log


def test_results_for_other_flags_never_overwrite_the_metrics(tmp_path, frey_dir, capsys):
    flags = ('--dataset_name=FREY', '--results=1', '--iw_samples=5')
    assert VAE_main.run(small(tmp_path, frey_dir, *flags, '--epochs=1')) == 0
    before = outputs(tmp_path)
    metrics = before[f'results/{NAME}/metrics.json']
    capsys.readouterr()

    other = small(tmp_path, frey_dir, *flags, '--train=0', '--restore=1', '--learning_rate=0.01', '--seed=3')
    assert VAE_main.run(other) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"run '{NAME}'" in line and 'holds epoch 1' in line
    assert '--learning_rate (saved 0.001, given 0.01)' in line and '--seed (saved 0, given 3)' in line
    assert outputs(tmp_path) == before

    assert VAE_main.run(other + ['--overwrite=1']) == 0
    aside, _ = set_aside(tmp_path)
    assert aside[f'results/{NAME}/metrics.json'] == metrics
    assert all(k.startswith(f'results/{NAME}/') for k in aside)   # only the results (metrics, figures) are set aside
    assert (tmp_path / 'results' / NAME / 'metrics.json').read_bytes() != metrics
    assert {k: v for k, v in outputs(tmp_path).items() if k.startswith('ckpt/')} == \
        {k: v for k, v in before.items() if k.startswith('ckpt/')}


def test_overwrite_is_not_part_of_the_name_and_cannot_go_with_restore(capsys):
    assert run_name(parse_args('VAE', ['--overwrite=1'])) == run_name(parse_args('VAE', []))
    with pytest.raises(SystemExit) as exit_:
        parse_args('VAE', ['--overwrite=1', '--restore=1'])
    assert exit_.value.code == 2 and 'give only one of them' in capsys.readouterr().err
    assert parse_args('VAE', ['--overwrite=1', '--restore=1', '--train=0', '--results=1']).overwrite == 1


# ---------------------------------------------------------------------- one process per run folder
def test_a_second_process_is_refused_while_the_first_trains(tmp_path, frey_dir, capsys):
    argv = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=3')
    first = start_run(tmp_path, argv, delay=1.0)   # returns once epoch 1 is saved
    folder = tmp_path / 'ckpt' / NAME
    try:
        for again in (argv, argv + ['--restore=1']):
            capsys.readouterr()
            assert VAE_main.run(again) == 2
            line = one_error_line(capsys.readouterr().err)
            assert f'in use by process {first.pid}' in line and f"'{folder}'" in line, line
    finally:
        _, err = first.communicate(timeout=240)
    assert first.returncode == 0, err
    assert len(json.loads((folder / 'history.json').read_text())['history']['valid/loss']) == 3
    assert (folder / 'ckpt-3.index').exists() and not (folder / '.lock').exists()
    assert (tmp_path / 'summary' / NAME / 'train.log').read_text().count('Run V_FREY') == 1


def test_a_lock_left_by_a_killed_process_is_taken_over_with_a_warning(tmp_path, frey_dir):
    argv = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=3')
    killed = start_run(tmp_path, argv, delay=2.0)
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=60)
    lock = tmp_path / 'ckpt' / NAME / '.lock'
    assert lock.read_text().split()[0] == str(killed.pid)   # the lock file stays; its flock died with the process

    assert VAE_main.run(argv + ['--restore=1']) == 0
    log = (tmp_path / 'summary' / NAME / 'train.log').read_text()
    assert f'WARNING The lock \'{lock}\' was left by process {killed.pid}, which ended without releasing it' in log
    assert 'Restored' in log and not lock.exists()
    history = json.loads((tmp_path / 'ckpt' / NAME / 'history.json').read_text())['history']
    assert len(history['valid/loss']) == 3


@pytest.mark.slow
def test_a_locked_folder_stops_both_workers_of_a_multiworker_run(tmp_path, frey_dir):
    argv = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=1', '--batch_size=16',
                 '--distribute=multiworker')
    folder = tmp_path / 'ckpt' / NAME
    folder.mkdir(parents=True)
    with open(folder / '.lock', 'w') as lock:   # this process holds the run, as a run would
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write(f'{os.getpid()}\n')
        lock.flush()
        (chief, chief_err), (worker, worker_err) = finish(start_workers(argv), timeout=240)
    assert (chief, worker) == (2, 2), chief_err[-2000:] + worker_err[-2000:]
    line = one_error_line(chief_err)
    assert f'in use by process {os.getpid()}' in line and f"'{folder}'" in line
    assert 'the chief worker refused the run folder' in one_error_line(worker_err)
    assert os.listdir(folder) == ['.lock'] and not glob.glob(str(tmp_path / 'summary' / NAME / '*'))


# ---------------------------------------------------------------------- no leftovers
@contextlib.contextmanager
def file_size_limit(size):
    """Files this process writes cannot grow beyond `size` bytes (EFBIG, as ENOSPC on a full disk)."""
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_failed_save_leaves_nothing_behind_and_restore_goes_on_from_the_last_good_epoch(tmp_path, monkeypatch):
    model = make_model(tmp_path, 0, '--epochs=3')
    folder = model.paths.checkpoint_dir
    save, good = model.manager.save, {}

    def save_into_a_full_folder(checkpoint_number):
        if checkpoint_number == 1:
            return save(checkpoint_number=1)
        good.update(files_under(folder))
        with file_size_limit(4096):   # the checkpoint's data (~100 KB) no longer fits
            return save(checkpoint_number=checkpoint_number)

    monkeypatch.setattr(model.manager, 'save', save_into_a_full_folder)
    with pytest.raises(RunError, match=r'cannot write the checkpoint of epoch 2 .*earlier checkpoints are kept'):
        model.train()
    assert sorted(os.listdir(folder)) == ['checkpoint', 'ckpt-1.data-00000-of-00001', 'ckpt-1.index',
                                          'config.json', 'history.json']   # no ckpt-2_temp
    now = files_under(folder)
    assert {k: now[k] for k in good if k != 'history.json'} == {k: v for k, v in good.items() if k != 'history.json'}

    again = make_model(tmp_path, 0, '--epochs=3')   # space freed: go on
    assert again.restore(required=True) and int(again.epoch.numpy()) == 1
    assert len(again.history['valid/loss']) == 1
    again.train()
    assert int(again.epoch.numpy()) == 3 and len(again.history['valid/loss']) == 3
    assert {'ckpt-1.index', 'ckpt-2.index', 'ckpt-3.index'} <= set(os.listdir(folder))
