"""Smoke tests of benchmarks/throughput.py: --quick on random data (no MNIST files), ~30 s on 2 cores; with
--peers=keras (the Keras peers only: the tests need no JAX) ~60 s. And of benchmarks/mc_samples_cost.py --quick.
The benchmark runs are marked slow (.ci/run runs them); the checks of the flags and constants are quick."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_quick(script, tmp_path, *flags, timeout=300):
    """benchmarks/<script> --quick with flags, on random data (an empty --data_dir), writing into tmp_path."""
    empty = tmp_path / 'no_data'
    empty.mkdir()
    done = subprocess.run([sys.executable, os.path.join(ROOT, 'benchmarks', script), '--quick', *flags,
                           f'--data_dir={empty}', f'--out={tmp_path}'],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow   # a whole benchmark run: 35-50 s on 2 cores, twice that when they are busy
def test_throughput_quick_on_random_data(tmp_path):
    done = run_quick('throughput.py', tmp_path)
    report = json.load(open(tmp_path / 'throughput.json'))
    runs = report['runs']
    assert sorted(r['model_type'] for r in runs) == [0, 1, 2, 3]
    for run in runs:
        assert run['data'] == 'random'
        assert run['images_per_second'] > 0 and run['seconds_per_epoch'] > 0 and run['peak_rss_mb'] > 0
        assert run['xla'] == (run['network'] == 'dense')
    spec = report['spec_vae']
    assert {'production/plain', 'production/eager', 'production/no_xla'} <= set(spec)
    assert spec['production/eager'] > 1    # the compiled loop is faster than the eager one, whatever the load
    assert 'spec_vae' in done.stdout and 'images/s' in done.stdout


@pytest.mark.slow   # a whole benchmark run: 35-50 s on 2 cores, twice that when they are busy
def test_mc_samples_cost_quick_on_random_data(tmp_path):
    done = run_quick('mc_samples_cost.py', tmp_path)
    report = json.load(open(tmp_path / 'mc_samples_cost.json'))
    assert report['data'] == 'random' and sorted(report['models']) == ['2', '3']
    for model in report['models'].values():
        assert model['cost_ratio_to_m1']['1'] == 1.0
        assert model['seconds_per_epoch']['2'] > 0
    assert 'M=2' in done.stdout


@pytest.mark.slow   # ~1 minute each on 2 cores
@pytest.mark.parametrize('cores', [None, 1])
def test_throughput_peers_quick(tmp_path, cores):
    """--peers=keras on random data: the production loop and the Keras peers side by side (no JAX needed);
    with --cores=1 every loop's process is pinned to one CPU, into a section of its own."""
    pin = [] if cores is None else [f'--cores={cores}']
    done = run_quick('throughput.py', tmp_path, '--peers=keras', *pin, timeout=600)
    report = json.load(open(tmp_path / 'throughput.json'))
    peers = report['peers' if cores is None else 'peers_1_core']
    assert sorted(k for k in report if k.startswith('peers')) == ['peers' if cores is None else 'peers_1_core']
    assert peers['machine']['cpus'] > 0 and 'other_processes_cpu_cores' in peers['machine']
    for result in (peers['0'], peers['1']):
        assert sorted(result['loops']) == ['keras', 'keras_spe200', 'production']
        assert sorted(result['project/peer']) == ['keras', 'keras_spe200']
        for loop in result['loops'].values():
            assert loop['images_per_second'] > 0 and loop['peak_rss_mb'] > 0
            assert all(p['cpus_allowed'] == (cores or len(os.sched_getaffinity(0))) for p in loop['processes'])
    assert 'project/peer' in done.stdout


def test_cores_needs_peers(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(ROOT, 'benchmarks', 'throughput.py'), '--cores=1',
                           f'--out={tmp_path}'], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and '--cores goes with --peers' in done.stderr


def test_peers_build_the_production_architecture():
    """The peers' constants are the spec's flags of throughput.py and the networks' own."""
    from benchmarks import throughput
    from benchmarks.peers import FILTERS, HIDDEN, LAYERS, LEARNING_RATE, SIGMA, SLOPE, Z_DIM
    from networks.conv_net import FILTERS as NETWORK_FILTERS
    assert FILTERS == NETWORK_FILTERS
    assert {f'--hidden_dim={HIDDEN}', f'--num_layers={LAYERS}', f'--z_dim={Z_DIM}', f'--sigma={SIGMA}',
            f'--learning_rate={LEARNING_RATE}'} <= set(throughput.SPEC)
    import keras

    from networks.dense_net import ACTIVATION
    assert float(keras.activations.get(ACTIVATION)(keras.ops.convert_to_tensor([-1.0]))[0]) == pytest.approx(-SLOPE)
