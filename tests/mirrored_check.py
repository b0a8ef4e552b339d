"""Train the same small model on one device and under MirroredStrategy over two logical CPU devices.

    python tests/mirrored_check.py MODEL_TYPE OUT_DIR [flags]

Splits the CPU into two logical devices first (this must precede every other TensorFlow call, hence a
process of its own), then for --distribute none and mirrored: trains STEPS steps with the same seed and
global batch, recording the loss of each step, evaluates the validation set, and saves a checkpoint.
Each checkpoint is then restored under the other strategy. Prints one JSON object:
{"none": {"losses": [...], "valid": {...}, "three_images": {...}}, "mirrored": {...}, "replicas": 2,
 "restored_equal": {"none<-mirrored": bool, "mirrored<-none": bool}}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices('CPU')[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import numpy as np  # noqa: E402

from tests.test_robustness import make_model  # noqa: E402
from utils.distribute import make_strategy  # noqa: E402

STEPS = 12


def build(model_type, folder, flags, distribute):
    strategy = make_strategy(distribute)
    with (strategy or tf.distribute.get_strategy()).scope():
        return make_model(folder, model_type, *flags, strategy=strategy)


def train(model):
    """Losses of STEPS single steps on the first batches of a seeded permutation."""
    batch = model.config.batch_size
    order = np.random.default_rng(0).permutation(len(model.data.train.x))
    index = tf.constant(np.resize(order, (STEPS, batch)).astype(np.int32))
    losses = [float(model._train_steps(model.x_train, index, tf.constant(i), tf.constant(i + 1))[0])
              for i in range(STEPS)]
    model.epoch.assign(1)
    model.manager.save(checkpoint_number=1)
    return losses


def main(model_type, out_dir, flags):
    report, models = {}, {}
    for distribute in ('none', 'mirrored'):
        model = build(model_type, os.path.join(out_dir, distribute), flags, distribute)
        report[distribute] = {'losses': train(model), 'valid': model.evaluate(model.x_valid),
                              'three_images': model.evaluate(model.x_valid[:3])}   # shares of 1 and 2
        models[distribute] = model
    report['replicas'] = models['mirrored'].strategy.num_replicas_in_sync
    x = tf.constant(models['none'].x_test[:16])
    report['restored_equal'] = {}
    for target, source in (('none', 'mirrored'), ('mirrored', 'none')):
        fresh = build(model_type, os.path.join(out_dir, f'{target}-from-{source}'), flags, target)
        fresh.checkpoint.restore(models[source].manager.latest_checkpoint).assert_consumed()
        report['restored_equal'][f'{target}<-{source}'] = bool(np.array_equal(
            fresh.graph.reconstruct(x).numpy(), models[source].graph.reconstruct(x).numpy()))
    print(json.dumps(report))


if __name__ == '__main__':
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3:])
