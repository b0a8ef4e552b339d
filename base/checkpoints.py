"""Checkpoints and run files: where a run keeps its files, saving, restoring with fallback past
damaged checkpoints, config.json (the flags compared on restore) and history.json (the loss curves)."""
import os
import shutil
from dataclasses import dataclass

import tensorflow as tf

from base.errors import RunError, first_line
from base.run_folder import checkpoint_epochs, remove_unfinished_save
from utils.files import atomic_write_json, read_json

# Flags that define the model: a checkpoint only restores into the same values.
ARCHITECTURE_FLAGS = ('model_type', 'dataset_name', 'image_size', 'channels', 'sigma', 'z_dim', 'w_dim',
                      'K_clusters', 'hidden_dim', 'num_layers', 'likelihood')
# Flags that define how it is trained: they must also match to continue training.
TRAINING_FLAGS = ('learning_rate', 'batch_size', 'drop_prob', 'dropout_on', 'beta', 'seed', 'y_prior_threshold',
                  'warmup_epochs', 'kmeans_init_epoch', 'tsne_init_epoch', 'tsne_repeat_epochs', 'tsne_label_epochs',
                  'iw_train_samples', 'mc_samples', 'lr_schedule')


@dataclass(frozen=True)
class RunPaths:
    """Where one run (named by the spec's scheme) keeps its files."""
    name: str
    checkpoint_dir: str
    summary_dir: str
    result_dir: str

    @classmethod
    def from_args(cls, name, args):
        return cls(name, os.path.join(args.checkpoint_dir, name), os.path.join(args.log_dir, name),
                   os.path.join(args.result_dir, name))

    @property
    def config_file(self):
        return os.path.join(self.checkpoint_dir, 'config.json')

    @property
    def split_file(self):
        """The split of a user's images (utils/splits.py)."""
        return os.path.join(self.checkpoint_dir, 'split.csv')

    @property
    def history_file(self):
        return os.path.join(self.checkpoint_dir, 'history.json')

    @property
    def log_file(self):
        return os.path.join(self.summary_dir, 'train.log')


def differing_flags(saved, config, training):
    """'--flag (saved X, given Y)' for each flag of `config` that differs from `saved` (a run's config.json):
    the ARCHITECTURE_FLAGS, and also the TRAINING_FLAGS when `training`."""
    flags = ARCHITECTURE_FLAGS + (TRAINING_FLAGS if training else ())
    current = vars(config)
    return [f'--{k} (saved {saved[k]}, given {current[k]})'
            for k in flags if k in saved and k in current and saved[k] != current[k]]


def unreadable_checkpoint(path):
    """Why the checkpoint `path` cannot be read, or None: every tensor is read, which checks its checksum."""
    try:
        reader = tf.train.load_checkpoint(path)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except Exception as err:  # damaged files raise many kinds: DataLossError, OpError, IndexError, ...
        return first_line(err)
    return None



class Checkpoints:
    """BaseModel's part that saves and restores: uses self.checkpoint / core_checkpoint / resume_checkpoint,
    self.paths, self.history, self.stopper, self.epoch and self.best_epoch."""

    @property
    def _save_dir(self):
        """Where this process writes checkpoints: the run's folder, or a scratch folder for a multi-worker
        run's non-chief workers (they must save too, as the save is collective; the scratch is removed)."""
        if self.is_chief:
            return self.paths.checkpoint_dir
        return os.path.join(self.paths.checkpoint_dir, f'.worker{self.strategy.cluster_resolver.task_id}')

    def _checkpoint_manager(self):
        """The run's CheckpointManager; an unreadable index file 'checkpoint' is set aside (ckpt-N files stay)."""
        if not self.is_chief:
            return tf.train.CheckpointManager(self.checkpoint, self._save_dir, max_to_keep=1)
        try:
            return tf.train.CheckpointManager(self.checkpoint, self.paths.checkpoint_dir, max_to_keep=3)
        except (UnicodeDecodeError, ValueError, tf.errors.OpError) as err:
            state = os.path.join(self.paths.checkpoint_dir, 'checkpoint')
            self.log.warning(f"The checkpoint index '{state}' is unreadable ({first_line(err)}): "
                             f"it is renamed '{state}.damaged' and the ckpt-N files are used directly.")
            os.replace(state, state + '.damaged')
            return tf.train.CheckpointManager(self.checkpoint, self.paths.checkpoint_dir, max_to_keep=3)

    def checkpoint_paths(self):
        """Prefixes of the run's checkpoints on disk, newest first (whatever the index file 'checkpoint' says)."""
        folder = self.paths.checkpoint_dir
        return [os.path.join(folder, f'ckpt-{epoch}') for epoch in checkpoint_epochs(folder)]

    def restore(self, required):
        """Load the newest readable checkpoint of this run; False when there is none and it is not `required`.

        A damaged checkpoint (truncated, garbled or missing files) is reported in one sentence and the one
        before it is tried. The history is cut back to the restored epoch and early stopping replayed on it.
        """
        candidates = self.checkpoint_paths()
        if not candidates:
            if required:
                raise RunError(f"no checkpoint of run '{self.paths.name}' in '{self.paths.checkpoint_dir}': "
                               'train it first with --train=1')
            self.log.info(f'No checkpoint of {self.paths.name} yet: training from scratch.')
            return False
        self._check_config()
        for i, path in enumerate(candidates):
            problem = unreadable_checkpoint(path)
            if problem is None:
                break
            then = f"falling back to '{candidates[i + 1]}'" if i + 1 < len(candidates) else 'no other is left'
            self.log.warning(f"Checkpoint '{path}' is damaged ({problem}): {then}.")
        else:
            raise RunError(f"none of the {len(candidates)} checkpoints of run '{self.paths.name}' in "
                           f"'{self.paths.checkpoint_dir}' is readable (see the warnings above): move them away "
                           'to train from scratch')
        try:
            self.core_checkpoint.restore(path).assert_existing_objects_matched().expect_partial()
        except (ValueError, AssertionError, tf.errors.OpError) as err:
            raise RunError(f"checkpoint '{path}' does not fit this configuration ({first_line(err)})") from err
        # Partial: checkpoints of earlier versions also hold the Dropout layers' seeds, now unused.
        self.resume_checkpoint.restore(path).expect_partial()
        if 'best_epoch/.ATTRIBUTES/VARIABLE_VALUE' not in dict(tf.train.list_variables(path)):
            self.log.warning(f"Checkpoint '{path}' predates the saving of the best weights: "
                             'training goes on, but early stopping cannot return to weights before it.')
        self._restore_history()
        self.log.info(f'Restored {path} (epoch {int(self.epoch.numpy())}).')
        return True

    def _restore_history(self):
        """The history of the restored epochs (history.json may hold later ones) and early stopping's state."""
        epoch = int(self.epoch.numpy())
        try:
            saved = read_json(self.paths.history_file)['history'] if os.path.exists(self.paths.history_file) else {}
            self.history = {name: list(values[:epoch]) for name, values in saved.items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            self.log.warning(f"'{self.paths.history_file}' is unreadable ({first_line(err)}): "
                             'the loss curves and early stopping start again from this epoch.')
            self.history = {}
        recorded = len(self.history.get('valid/loss', []))
        if recorded < epoch:
            self.log.warning(f"'{self.paths.history_file}' records {recorded} of the {epoch} restored epochs: "
                             'the loss curves and early stopping lack the others.')
        since = max([e for e in self.reshape_epochs() if e <= epoch], default=0)   # the losses of the model as it is
        self.stopper.replay(self.history.get('valid/loss', [])[since:])

    def _check_config(self):
        if not os.path.exists(self.paths.config_file):
            return
        try:
            saved = read_json(self.paths.config_file)
            if not isinstance(saved, dict):
                raise ValueError('not a JSON object')
        except (OSError, ValueError) as err:
            self.log.warning(f"'{self.paths.config_file}' is unreadable ({first_line(err)}): the flags of the "
                             'saved run are not compared with these.')
            return
        differing = differing_flags(saved, self.config, training=self.config.train)
        if differing:
            raise RunError(f"run '{self.paths.name}' was made with other flags: {', '.join(differing)}; "
                           'give the saved values or a different --extra')

    def _save(self):
        """Checkpoint ckpt-EPOCH, after the history (restore cuts a longer history back to the checkpoint)."""
        epoch = int(self.epoch.numpy())
        try:
            if not self.is_chief:
                self.manager.save(checkpoint_number=epoch)
                shutil.rmtree(self._save_dir, ignore_errors=True)
                return None
            atomic_write_json(self.paths.history_file, {'history': self.history})
            return self.manager.save(checkpoint_number=epoch)
        except (OSError, tf.errors.OpError) as err:
            remove_unfinished_save(self._save_dir, epoch)
            raise RunError(f"cannot write the checkpoint of epoch {epoch} in '{self.paths.checkpoint_dir}' "
                           f'({first_line(err)}); the earlier checkpoints are kept') from err

