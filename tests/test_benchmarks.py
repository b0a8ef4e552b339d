"""Smoke test of benchmarks/throughput.py: --quick on random data (no MNIST files), ~30 s on 2 cores."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_throughput_quick_on_random_data(tmp_path):
    empty = tmp_path / 'no_data'
    empty.mkdir()
    done = subprocess.run([sys.executable, os.path.join(ROOT, 'benchmarks', 'throughput.py'), '--quick',
                           f'--data_dir={empty}', f'--out={tmp_path}'],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
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
