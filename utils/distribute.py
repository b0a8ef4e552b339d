"""The tf.distribute strategy of --distribute: none, mirrored (one machine) or multiworker (TF_CONFIG)."""
import json
import os

CHOICES = ('none', 'mirrored', 'multiworker')


class DistributeError(Exception):
    """The strategy cannot be set up; the message is one sentence for the user."""


def tf_config_problem(text):
    """Why the TF_CONFIG value `text` cannot configure a multi-worker run, or None."""
    if not text:
        return ('--distribute=multiworker needs the TF_CONFIG environment variable, e.g. '
                '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": 0}}')
    try:
        config = json.loads(text)
        workers = config['cluster']['worker']
        task = config['task']
        index = int(task['index'])
        task_type = task['type']
    except (ValueError, KeyError, TypeError) as err:
        return f'TF_CONFIG is not a cluster and task description ({type(err).__name__}: {err}): see docs/distribution.md'
    if task_type not in config['cluster'] or not 0 <= index < len(config['cluster'][task_type]):
        return f"TF_CONFIG's task ({task_type} {index}) is not in its cluster"
    if not isinstance(workers, list) or not workers:
        return "TF_CONFIG's cluster lists no worker"
    return None


def make_strategy(name):
    """None for 'none' (TensorFlow's default strategy: one device), else the strategy named.

    'mirrored': `MirroredStrategy` over every GPU, or over every logical CPU device when there is no GPU.
    'multiworker': `MultiWorkerMirroredStrategy` configured by TF_CONFIG. Call this before any other
    TensorFlow operation: a multi-worker strategy must set up the runtime itself.
    """
    if name == 'none':
        return None
    import tensorflow as tf
    if name == 'mirrored':
        gpus = tf.config.list_logical_devices('GPU')
        if gpus:
            return tf.distribute.MirroredStrategy([device.name for device in gpus])
        # CPU devices share the host memory: reduce on one of them, without collective ops (whose
        # instance keys would clash between two strategies made in one process).
        cpus = [device.name for device in tf.config.list_logical_devices('CPU')]
        return tf.distribute.MirroredStrategy(cpus, cross_device_ops=tf.distribute.ReductionToOneDevice())
    problem = tf_config_problem(os.environ.get('TF_CONFIG', ''))
    if problem:
        raise DistributeError(problem)
    return tf.distribute.MultiWorkerMirroredStrategy()
