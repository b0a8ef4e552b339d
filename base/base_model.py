"""BaseModel, shared by VAE and GMVAE: it builds the optimizer, the checkpoint objects and the resident
data of a run, and takes its jobs from one module each:

- base/compiled_steps.py: the compiled training loop (several Adam steps per `tf.function` call);
- base/evaluation.py: the -ELBO terms of a set of images, batch-wise prediction;
- base/checkpoints.py: run folders, checkpoint save and restore with fallback, config.json, history.json;
- base/training.py: the epoch loop (validation, early stopping, signals);
- base/summaries.py: TensorBoard summaries;
- base/results.py: test metrics (metrics.json) and figures;
- base/assignments.py: a row for every image (assignments.csv, latents.csv, --predict's predictions).

The names other modules use (RunError, RunPaths, ...) are importable from here too.
"""
import keras
import numpy as np
import tensorflow as tf

from base import resident_images
from base.assignments import Assignments
from base.checkpoints import (ARCHITECTURE_FLAGS, TRAINING_FLAGS, Checkpoints, RunPaths,  # noqa: F401
                              differing_flags, unreadable_checkpoint)
from base.compiled_steps import STEPS_PER_CALL, CompiledSteps  # noqa: F401
from base.errors import Interrupted, NonFiniteLoss, RunError, first_line  # noqa: F401
from base.evaluation import EVAL_BATCH, Evaluation, binarize  # noqa: F401
from base.results import INTERPOLATION_PAIRS, INTERPOLATION_STEPS, Results  # noqa: F401
from base.summaries import PROJECTOR_POINTS, Summaries  # noqa: F401
from base.training import Training
from utils.early_stopping import EarlyStopping


class BaseModel(CompiledSteps, Evaluation, Checkpoints, Training, Summaries, Results, Assignments):
    """Trains a graph (a `BaseGraph`) on a `utils.data.Dataset` and produces its results.

    Subclasses set `visualizer_class`, `table_name` and `image_columns`, and may extend `extra_metrics`, `projector_metadata`,
    `make_figures`, `summarize_latents` and `summary_figures` (the figures also logged to TensorBoard).
    """

    def __init__(self, graph, config, dataset, paths, logger, strategy=None):
        self.graph = graph
        self.config = config
        self.data = dataset
        self.paths = paths
        self.log = logger
        # TensorFlow's default strategy (one device) unless a tf.distribute strategy is given (utils/distribute.py).
        self.strategy = strategy or tf.distribute.get_strategy()
        self.distributed = strategy is not None
        self.is_chief = self.strategy.extended.should_checkpoint   # writes checkpoints, summaries and results
        self.names = ('loss',) + tuple(graph.term_names)
        self.bernoulli = config.likelihood == 'bernoulli'
        eval_rng = np.random.default_rng(config.seed)
        prepare = (lambda x: binarize(x, eval_rng)) if self.bernoulli else (lambda x: x)
        self.x_valid = prepare(dataset.valid.x)
        self.x_test = prepare(dataset.test.x)
        with self.strategy.scope():
            # Resident on every replica's device, as uint8 codes where exact (base/resident_images.py) but
            # across workers, whose collective broadcast of the initial value takes no uint8; not checkpointed.
            x_train = dataset.train.x
            if not isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy):
                x_train = resident_images.encode(x_train)
            self.x_train = tf.Variable(x_train, trainable=False, name='x_train')
            graph.loss_terms(tf.zeros((1,) + graph.image_shape))   # creates the variables
            self.optimizer = keras.optimizers.Adam(self.learning_rate())
            self.optimizer.build(graph.trainable_variables)
            self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name='epoch')
            # An exact resume also needs, for early stopping, the weights of the best validation loss so far
            # and their epoch (0: none yet). The training noise is keyed by the optimizer's step count.
            self.best_weights = [tf.Variable(tf.convert_to_tensor(w), trainable=False) for w in graph.weights]
            self.best_epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name='best_epoch')
            # The weights and Adam's state, and their copy at the start of the epoch in progress, to undo a
            # diverged one (not saved).
            self.epoch_state = graph.weights + self.optimizer.variables
            self.epoch_start = [tf.Variable(tf.convert_to_tensor(v), trainable=False) for v in self.epoch_state]
            self.train_state = self.training_state()
        core = dict(graph=graph, optimizer=self.optimizer, epoch=self.epoch, noise=graph.noise)
        resume = dict(best_weights=self.best_weights, best_epoch=self.best_epoch, **self.train_state)
        self.checkpoint = tf.train.Checkpoint(**core, **resume)        # what is saved
        self.core_checkpoint = tf.train.Checkpoint(**core)             # restored: all of it must match
        self.resume_checkpoint = tf.train.Checkpoint(**resume)         # restored where present (see restore)
        self.manager = self._checkpoint_manager()
        self.history = {}
        self.stopper = EarlyStopping(config.patience, config.min_delta)
        self.writer = self._open_writer()
