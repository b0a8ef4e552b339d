"""A quiet console: a real run prints only the project's lines, whatever TF_CPP_MIN_LOG_LEVEL the user set,
unless --verbose=1 or TF_CPP_MIN_LOG_LEVEL=0."""
import os
import re
import subprocess
import sys

import pytest

from base.console import verbose_requested
from tests.test_main import ROOT, frey_dir  # noqa: F401  (fixture)

# What TensorFlow's C++ side prints: absl's glog-style lines (I0000 00:00:... file.cc:N]) and its banner.
TENSORFLOW_LINE = re.compile(r'^[IWEF]\d{4} |absl::InitializeLog|oneDNN|cuda|cpu_feature_guard|XLA', re.I | re.M)


def run_vae(tmp_path, data_dir, *flags, log_level=None):
    """The console (stdout and stderr) of a one-epoch VAE run, TF_CPP_MIN_LOG_LEVEL unset or set."""
    env = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}
    if log_level is not None:
        env['TF_CPP_MIN_LOG_LEVEL'] = log_level
    argv = [f'--data_dir={data_dir}', '--dataset_name=FREY', f'--checkpoint_dir={tmp_path}/ckpt',
            f'--log_dir={tmp_path}/summary', f'--result_dir={tmp_path}/results', '--epochs=1', '--batch_size=32',
            *flags]
    done = subprocess.run([sys.executable, 'tests/run_main.py', 'VAE', *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


def test_verbose_flag_is_read_before_parsing():
    assert verbose_requested(['--verbose=1'])
    assert verbose_requested(['--x=2', '--verbose', '1'])
    assert not verbose_requested(['--verbose=0'])
    assert not verbose_requested([])


# After quiet_console a run goes the same way whatever level was set: training without results shows it.
@pytest.mark.parametrize('flags, log_level', [(['--results=1', '--iw_samples=5'], None), ([], '3'), ([], '1')])
def test_a_run_prints_no_tensorflow_line_whatever_log_level_the_user_set(tmp_path, frey_dir, flags,  # noqa: F811
                                                                         log_level):
    quiet = run_vae(tmp_path, frey_dir, *flags, log_level=log_level)
    assert 'Done.' in quiet and ('Test metrics' in quiet) == ('--results=1' in flags)
    assert not TENSORFLOW_LINE.search(quiet), TENSORFLOW_LINE.search(quiet).group(0)


@pytest.mark.parametrize('flags, log_level', [(['--verbose=1'], None), ([], '0')])
def test_verbose_or_log_level_0_shows_tensorflows_lines(tmp_path, frey_dir, flags, log_level):  # noqa: F811
    assert TENSORFLOW_LINE.search(run_vae(tmp_path, frey_dir, *flags, log_level=log_level))
