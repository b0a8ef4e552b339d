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
# A results run without a checkpoint imports TensorFlow and builds the model, then stops with status 2. Past
# quiet_console a run goes the same way whatever level was set: the whole run below shows what follows.
NO_CHECKPOINT = ('--train=0', '--results=1')


def run_vae(tmp_path, data_dir, *flags, log_level=None):
    """(exit status, console: stdout and stderr) of a VAE run on FREY, TF_CPP_MIN_LOG_LEVEL unset or set."""
    env = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}
    if log_level is not None:
        env['TF_CPP_MIN_LOG_LEVEL'] = log_level
    argv = [f'--data_dir={data_dir}', '--dataset_name=FREY', f'--checkpoint_dir={tmp_path}/ckpt',
            f'--log_dir={tmp_path}/summary', f'--result_dir={tmp_path}/results', '--batch_size=32', *flags]
    done = subprocess.run([sys.executable, 'tests/run_main.py', 'VAE', *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def test_verbose_flag_is_read_before_parsing():
    assert verbose_requested(['--verbose=1'])
    assert verbose_requested(['--x=2', '--verbose', '1'])
    assert not verbose_requested(['--verbose=0'])
    assert not verbose_requested([])


def test_a_run_that_trains_and_reports_prints_no_tensorflow_line(tmp_path, frey_dir):  # noqa: F811
    status, quiet = run_vae(tmp_path, frey_dir, '--epochs=1', '--results=1', '--iw_samples=5')
    assert status == 0 and 'Test metrics' in quiet and 'Done.' in quiet, quiet[-2000:]
    assert not TENSORFLOW_LINE.search(quiet), TENSORFLOW_LINE.search(quiet).group(0)


@pytest.mark.parametrize('log_level', ['3', '1'])
def test_a_log_level_set_by_the_user_keeps_the_console_quiet(tmp_path, frey_dir, log_level):  # noqa: F811
    status, quiet = run_vae(tmp_path, frey_dir, *NO_CHECKPOINT, log_level=log_level)
    assert status == 2 and 'train it first' in quiet, quiet[-2000:]
    assert not TENSORFLOW_LINE.search(quiet), TENSORFLOW_LINE.search(quiet).group(0)


@pytest.mark.parametrize('flags, log_level', [(['--verbose=1'], None), ([], '0')])
def test_verbose_or_log_level_0_shows_tensorflows_lines(tmp_path, frey_dir, flags, log_level):  # noqa: F811
    status, loud = run_vae(tmp_path, frey_dir, *NO_CHECKPOINT, *flags, log_level=log_level)
    assert status == 2 and TENSORFLOW_LINE.search(loud), loud[-2000:]
