"""--distribute: one device and two mirrored replicas train alike, checkpoints cross strategies, and a
two-worker MultiWorkerMirroredStrategy run on localhost completes an epoch."""
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

import VAE_main
from tests.test_main import frey_dir  # noqa: F401 (fixture)
from tests.test_robustness import small
from utils.distribute import tf_config_problem

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3', CUDA_VISIBLE_DEVICES='')


def mirrored_check(tmp_path, model_type, *flags):
    """tests/mirrored_check.py's report (one device vs MirroredStrategy over two logical CPUs)."""
    done = subprocess.run([sys.executable, 'tests/mirrored_check.py', str(model_type), str(tmp_path), *flags],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow   # a process with two logical devices trains four models: ~30 s each on 2 cores, 60 s when busy
@pytest.mark.parametrize('model_type, flags', [
    (0, ('--drop_prob=0.3', '--likelihood=bernoulli')),    # dense: XLA, dropout and binarisation noise
    (3, ('--drop_prob=0.3', '--w_dim=2', '--K_clusters=3')),   # CNN GMVAE: all four terms
])
def test_two_mirrored_replicas_follow_the_single_device_trajectory(tmp_path, model_type, flags):
    report = mirrored_check(tmp_path, model_type, *flags)
    assert report['replicas'] == 2
    one, two = report['none']['losses'], report['mirrored']['losses']
    assert one[-1] < one[0] - 1.0                        # it trains: the loss moves well beyond float noise
    for a, b in zip(one, two):
        assert b == pytest.approx(a, rel=1e-4)           # float noise only (measured: up to 3e-6)
    for images in ('valid', 'three_images'):
        for name, value in report['none'][images].items():
            assert report['mirrored'][images][name] == pytest.approx(value, rel=1e-4, abs=1e-3)
    assert report['restored_equal'] == {'none<-mirrored': True, 'mirrored<-none': True}


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(('localhost', 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_workers(argv, **env):
    """Two VAE_main workers (tests/run_main.py) of one MultiWorkerMirroredStrategy cluster on localhost ports."""
    workers = [f'localhost:{port}' for port in free_ports(2)]
    procs = []
    for index in range(2):
        config = {'cluster': {'worker': workers}, 'task': {'type': 'worker', 'index': index}}
        procs.append(subprocess.Popen([sys.executable, 'tests/run_main.py', 'VAE', *argv], cwd=ROOT,
                                      env=dict(ENV, TF_CONFIG=json.dumps(config), **env),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return procs


def finish(procs, timeout=300):
    """(returncode, stderr) of each process, once all have ended."""
    try:
        outputs = [proc.communicate(timeout=timeout) for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
    return [(proc.returncode, err) for proc, (_, err) in zip(procs, outputs)]


@pytest.mark.slow
def test_two_workers_on_localhost_train_an_epoch_and_write_one_checkpoint(tmp_path, frey_dir):
    argv = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=1', '--batch_size=16', '--drop_prob=0.2',
                 '--distribute=multiworker', '--results=1', '--iw_samples=10')
    for status, err in finish(start_workers(argv)):
        assert status == 0, err[-3000:]
    run_dir = glob.glob(str(tmp_path / 'ckpt' / '*'))
    assert len(run_dir) == 1
    assert sorted(os.listdir(run_dir[0])) == ['checkpoint', 'ckpt-1.data-00000-of-00001', 'ckpt-1.index',
                                              'config.json', 'history.json']   # the worker's scratch is gone
    history = json.load(open(os.path.join(run_dir[0], 'history.json')))['history']
    assert len(history['train/loss']) == 1
    logs = sorted(os.path.basename(f) for f in glob.glob(str(tmp_path / 'summary' / '*' / '*.log')))
    assert logs == ['train.log', 'train.worker1.log']
    chief, worker = (open(glob.glob(str(tmp_path / 'summary' / '*' / name))[0]).read()
                     for name in ('train.log', 'train.worker1.log'))
    assert '2 replicas' in chief and 'epoch 1/1' in chief and 'Test metrics' in chief
    assert 'epoch 1/1' in worker and 'Test metrics' not in worker and 'The chief worker writes' in worker
    metrics = glob.glob(str(tmp_path / 'results' / '*' / 'metrics.json'))
    assert len(metrics) == 1 and json.load(open(metrics[0]))['epochs_trained'] == 1


@pytest.mark.parametrize('value, expected', [
    ('', 'needs the TF_CONFIG environment variable'),
    ('not json', 'is not a cluster and task description'),
    ('{"cluster": {"worker": ["a:1"]}}', 'is not a cluster and task description'),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}', 'is not in its cluster'),
])
def test_a_missing_or_bad_tf_config_is_one_sentence(value, expected):
    assert expected in tf_config_problem(value)


def test_valid_tf_config_passes():
    assert tf_config_problem('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}') is None


def test_multiworker_without_tf_config_exits_2(tmp_path, frey_dir, monkeypatch, capsys):
    monkeypatch.delenv('TF_CONFIG', raising=False)
    argv = small(tmp_path, frey_dir, '--dataset_name=FREY', '--distribute=multiworker')
    assert VAE_main.run(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'TF_CONFIG' in err[0]


@pytest.mark.slow
def test_a_signal_to_one_worker_stops_both_after_the_same_epoch(tmp_path, frey_dir):
    argv = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=4', '--batch_size=16',
                 '--distribute=multiworker')
    procs = start_workers(argv, EPOCH_DELAY_S='1.5')
    worker_log = str(tmp_path / 'summary' / '*' / 'train.worker1.log')
    deadline = time.time() + 120
    while not any('epoch 1/4' in open(f).read() for f in glob.glob(worker_log)):
        assert all(proc.poll() is None for proc in procs) and time.time() < deadline, 'epoch 1 never ended'
        time.sleep(0.2)
    procs[1].send_signal(signal.SIGINT)            # the other worker, not the chief
    results = finish(procs)
    assert [status for status, _ in results] == [130, 130], results[0][1][-2000:] + results[1][1][-2000:]
    # Epoch 2 unless the signal beat the agreement that follows epoch 1's log line by a few ms.
    epochs = {int(re.search(r'Stopped by SIGINT after saving epoch (\d) of 4', err).group(1)) for _, err in results}
    assert len(epochs) == 1 and epochs <= {1, 2}
    epoch = epochs.pop()
    run_dir = glob.glob(str(tmp_path / 'ckpt' / '*'))[0]
    assert len(json.load(open(os.path.join(run_dir, 'history.json')))['history']['train/loss']) == epoch
    assert os.path.exists(os.path.join(run_dir, f'ckpt-{epoch}.index'))
    assert not os.path.exists(os.path.join(run_dir, f'ckpt-{epoch + 1}.index'))


def test_mirrored_on_one_device_trains_and_warns(tmp_path, frey_dir, capsys):
    argv = small(tmp_path, frey_dir, '--dataset_name=FREY', '--epochs=1', '--distribute=mirrored')
    assert VAE_main.run(argv) == 0
    log = open(glob.glob(str(tmp_path / 'summary' / '*' / 'train.log'))[0]).read()
    assert 'found one device only' in log and 'epoch 1/1' in log
