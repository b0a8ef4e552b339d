"""A quiet console: a real run prints only the project's lines unless --verbose=1 or TF_CPP_MIN_LOG_LEVEL is set."""
import os
import re
import subprocess
import sys

from base.console import verbose_requested
from tests.test_main import ROOT, mnist_dir  # noqa: F401  (fixture)

# What TensorFlow's C++ side prints: absl's glog-style lines (I0000 00:00:... file.cc:N]) and its banner.
TENSORFLOW_LINE = re.compile(r'^[IWEF]\d{4} |absl::InitializeLog|oneDNN|cuda|cpu_feature_guard|XLA', re.I | re.M)


def run_vae(tmp_path, data_dir, *flags, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}
    env.update(env_extra or {})
    argv = [f'--data_dir={data_dir}', f'--checkpoint_dir={tmp_path}/ckpt', f'--log_dir={tmp_path}/summary',
            f'--result_dir={tmp_path}/results', '--epochs=1', '--batch_size=32', '--iw_samples=5', '--results=1',
            '--overwrite=1', *flags]
    done = subprocess.run([sys.executable, 'tests/run_main.py', 'VAE', *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


def test_verbose_flag_is_read_before_parsing():
    assert verbose_requested(['--verbose=1'])
    assert verbose_requested(['--x=2', '--verbose', '1'])
    assert not verbose_requested(['--verbose=0'])
    assert not verbose_requested([])


def test_default_run_prints_no_tensorflow_line_and_verbose_shows_them(tmp_path, mnist_dir):  # noqa: F811
    quiet = run_vae(tmp_path, mnist_dir)
    assert 'Test metrics' in quiet and 'Done.' in quiet
    assert not TENSORFLOW_LINE.search(quiet), TENSORFLOW_LINE.search(quiet).group(0)
    loud = run_vae(tmp_path, mnist_dir, '--verbose=1')
    assert TENSORFLOW_LINE.search(loud)


def test_a_log_level_set_by_the_user_is_respected(tmp_path, mnist_dir):  # noqa: F811
    out = run_vae(tmp_path, mnist_dir, env_extra={'TF_CPP_MIN_LOG_LEVEL': '0'})
    assert TENSORFLOW_LINE.search(out)
