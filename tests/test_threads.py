"""The intra-op thread count chosen from the size of a step (base/threads.py)."""
import tensorflow as tf

from base import threads
from utils.args import parse_args

MNIST = (28, 28, 1)


def args(*flags, family='VAE'):
    return parse_args(family, list(flags))


def test_small_dense_steps_take_one_thread():
    spec = ['--hidden_dim=64', '--num_layers=2', '--z_dim=8', '--batch_size=32']
    assert threads.intra_op_threads(args('--model_type=0', *spec), MNIST) == 1
    assert threads.intra_op_threads(args('--model_type=2', *spec, family='GMVAE'), MNIST) == 1


def test_cnns_and_large_dense_steps_keep_the_default():
    assert threads.intra_op_threads(args('--model_type=1', '--batch_size=32', '--hidden_dim=64'), MNIST) is None
    assert threads.intra_op_threads(args('--model_type=3', '--batch_size=32', family='GMVAE'), MNIST) is None
    assert threads.intra_op_threads(args('--model_type=0', '--batch_size=100', '--hidden_dim=500'), MNIST) is None


def test_the_users_setting_and_a_running_tensorflow_are_left_alone(monkeypatch):
    small = args('--model_type=0', '--batch_size=32', '--hidden_dim=64')
    monkeypatch.setenv('TF_NUM_INTRAOP_THREADS', '2')
    assert threads.configure(small, MNIST) is None
    monkeypatch.delenv('TF_NUM_INTRAOP_THREADS')
    before = tf.config.threading.get_intra_op_parallelism_threads()
    float(tf.reduce_sum(tf.ones(3)))   # TensorFlow's runtime is running
    if before != 1:
        assert threads.configure(small, MNIST) is None
    assert tf.config.threading.get_intra_op_parallelism_threads() == before
