"""Run VAE_main or GMVAE_main as a real process on generated data, for the tests that signal it.

    python tests/run_main.py VAE|GMVAE --data_dir=... [flags]

The generated files have no published checksums: the files found in --data_dir are trusted (their
checksums are taken as the expected ones). With the environment variable EPOCH_DELAY_S set, each
epoch first sleeps that long, so that a signal surely arrives during training.
"""
import hashlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import GMVAE_main  # noqa: E402
import VAE_main  # noqa: E402
from utils import data  # noqa: E402


def trust_files(data_dir):
    for name in os.listdir(data_dir):
        with open(os.path.join(data_dir, name), 'rb') as f:
            data.ALL_CHECKSUMS[name] = hashlib.sha256(f.read()).hexdigest()


def slow_epochs(seconds):
    from base.base_model import BaseModel   # imports TensorFlow: only here, so the console stays quiet

    train_epoch = BaseModel._train_epoch

    def delayed(self, *args, **kwargs):
        time.sleep(seconds)
        return train_epoch(self, *args, **kwargs)

    BaseModel._train_epoch = delayed


if __name__ == '__main__':
    family, argv = sys.argv[1], sys.argv[2:]
    trust_files(next(a.split('=', 1)[1] for a in argv if a.startswith('--data_dir=')))
    if os.environ.get('EPOCH_DELAY_S'):
        slow_epochs(float(os.environ['EPOCH_DELAY_S']))
    sys.exit({'VAE': VAE_main, 'GMVAE': GMVAE_main}[family].run(argv))
