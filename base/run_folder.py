"""Guarding a run's folders: one process per run, and no run destroyed by another.

A run keeps its files in three folders named after it (`base_model.RunPaths`): checkpoint, summary
and result. The name holds only some flags, so two configurations can share it. Before anything of
the run is written, base/runner.py calls `claim`, which
- takes the run's lock: `fcntl.flock` on `.lock` in its checkpoint folder, held until the run ends
  (`release_all`). A folder locked by a live process is refused. The kernel drops a flock with its
  process, so a lock left by a process that died (kill -9, power loss) is taken over, with a warning
  that names it;
- refuses to train from scratch (--restore=0) over a run that holds checkpoints, and to write
  results (--train=0) for flags other than those the run was trained with (its config.json), unless
  --overwrite=1: then what would be replaced (the whole run, or for results only its results) is set
  aside in `NAME.set-aside-YYYYmmdd-HHMMSS` folders next to its own, never deleted.
Under a multi-worker strategy only the chief claims the folder, and all workers stop if it refuses.

`remove_unfinished_save` removes what a failed checkpoint save left (TensorFlow's `ckpt-N_temp`).
"""
import fcntl
import glob
import os
import re
import shutil
import socket
import time

from utils.files import read_json

LOCK_FILE = '.lock'   # in the run's checkpoint folder

_held = []   # the locks this process holds (released by release_all)


class RunFolderError(Exception):
    """The run's folders cannot be used; the message is one sentence for the user."""


class _Lock:
    """An exclusive flock on `path` through the open descriptor `fd` (None: the file system has no locks)."""

    def __init__(self, path, fd):
        self.path, self.fd = path, fd

    def release(self):
        """Remove the lock file (while still locked, so a waiting process cannot take the removed one) and unlock."""
        if self.fd is None:
            return
        try:
            if os.path.samestat(os.fstat(self.fd), os.stat(self.path)):
                os.remove(self.path)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None


def _holder(fd):
    """'process PID' (with its host when not this one) written in the lock file `fd`, or None when empty."""
    os.lseek(fd, 0, os.SEEK_SET)
    fields = os.read(fd, 200).decode(errors='replace').split()
    if not fields:
        return None
    host = f' on {fields[1]}' if len(fields) > 1 and fields[1] != socket.gethostname() else ''
    return f'process {fields[0]}{host}'


def _lock(folder, notes):
    """Lock the run folder `folder` for this process; refuses when a live process holds it."""
    path = os.path.join(folder, LOCK_FILE)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise RunFolderError(f"cannot create the lock file '{path}' ({err.strerror})") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = None
            for _ in range(20):   # the holder writes its id just after locking
                holder = _holder(fd)
                if holder:
                    break
                time.sleep(0.05)
            os.close(fd)
            raise RunFolderError(f"the run folder '{folder}' is in use by {holder or 'another process'} (it holds "
                                 f"'{path}'): wait until it ends, or name another run with --extra=TEXT") from None
        except OSError as err:   # a file system without locks (some network ones)
            os.close(fd)
            notes.append(f"Cannot lock '{path}' ({err.strerror}): make sure no other process uses this run.")
            return _Lock(path, None)
        try:
            current = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)   # its holder ended and removed it meanwhile: lock the new one
    previous = _holder(fd)
    if previous:
        notes.append(f"The lock '{path}' was left by {previous}, which ended without releasing it (killed, or "
                     'a power loss): this process takes it over.')
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f'{os.getpid()} {socket.gethostname()}\n'.encode())
    return _Lock(path, fd)


def checkpoint_epochs(folder):
    """Numbers N of the ckpt-N checkpoints in `folder` (the epochs saved), highest first."""
    found = (re.fullmatch(r'ckpt-(\d+)\.index', os.path.basename(p))
             for p in glob.glob(os.path.join(glob.escape(folder), 'ckpt-*.index')))
    return sorted((int(m.group(1)) for m in found if m), reverse=True)


def _saved_flags(config_file):
    try:
        saved = read_json(config_file)
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def _conflict(paths, config):
    """Why this run would destroy or mislabel the one saved in its folders (one sentence), or None."""
    from base.checkpoints import differing_flags   # imported here: base.checkpoints imports this module
    epochs = checkpoint_epochs(paths.checkpoint_dir)
    if not epochs or (config.train and config.restore):   # restore itself compares the flags
        return None
    differing = differing_flags(_saved_flags(paths.config_file), config, training=True)
    saved = f"run '{paths.name}' in '{paths.checkpoint_dir}' holds epoch {epochs[0]}, trained with "
    flags = f'other flags: {", ".join(differing)}' if differing else 'the same flags'
    if config.train:
        with_saved = ' and the saved values' if differing else ''
        return (saved + flags + ', and --restore=0 would train it again from scratch; nothing was written: '
                f'continue it with --restore=1{with_saved}, name a new run with --extra=TEXT, or start over with '
                '--overwrite=1 (the old run is set aside, not deleted)')
    if differing:
        return (saved + flags + ', so its results would not be those of these flags; nothing was written: give '
                'the saved values, train a new run with --extra=TEXT, or write its results anyway with '
                '--overwrite=1 (the earlier results are set aside, not deleted)')
    return None


def _set_aside(paths, folders, notes):
    """Move the contents of `folders` (but the lock) to NAME.set-aside-STAMP folders next to them."""
    full = [f for f in folders if os.path.isdir(f) and set(os.listdir(f)) - {LOCK_FILE}]
    if not full:
        return
    stamp = time.strftime('%Y%m%d-%H%M%S')

    def aside(folder, n):
        return f'{os.path.normpath(folder)}.set-aside-{stamp}' + (f'-{n}' if n > 1 else '')

    n = 1
    while any(os.path.exists(aside(f, n)) for f in folders):   # one free name for all three
        n += 1
    moved = []
    for folder in full:
        target = aside(folder, n)
        try:
            os.makedirs(target)
            for entry in sorted(set(os.listdir(folder)) - {LOCK_FILE}):
                shutil.move(os.path.join(folder, entry), os.path.join(target, entry))
        except OSError as err:
            raise RunFolderError(f"cannot set run '{paths.name}' aside in '{target}' ({err.strerror or err}); "
                                 'what was moved is there, the rest is in place') from err
        moved.append(target)
    notes.append(f"--overwrite=1: the earlier files of run '{paths.name}' are set aside (not deleted) in "
                 + ', '.join(f"'{m}'" for m in moved) + '.')


def _claim(paths, config):
    notes = []
    lock = _lock(paths.checkpoint_dir, notes)
    try:
        conflict = _conflict(paths, config)
        if conflict and not config.overwrite:
            raise RunFolderError(conflict)
        if config.overwrite and config.train:
            _set_aside(paths, (paths.checkpoint_dir, paths.summary_dir, paths.result_dir), notes)
        elif config.overwrite and conflict:
            _set_aside(paths, (paths.result_dir,), notes)
    except BaseException:
        lock.release()
        raise
    _held.append(lock)
    return notes


def _refused_by_any_worker(strategy, refused):
    """Whether any worker of a multi-worker strategy refused (a collective step: every worker takes part)."""
    import tensorflow as tf
    flag = tf.constant(float(refused))
    per_replica = strategy.experimental_distribute_values_from_function(lambda _: flag)
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None).numpy() > 0


def claim(paths, config, strategy=None):
    """Lock the run's folders for this process and make sure it destroys no other run (see the module's text).

    Call it before anything of the run is written. Returns the warnings to log (a lock taken over from a
    dead process, a run set aside). Raises RunFolderError, with nothing written, when the run must not go on.
    """
    import tensorflow as tf
    chief = strategy is None or strategy.extended.should_checkpoint
    problem, notes = None, []
    if chief:
        try:
            notes = _claim(paths, config)
        except RunFolderError as err:
            problem = str(err)
        except OSError as err:
            problem = f"cannot lock or check the run folder '{paths.checkpoint_dir}' ({err.strerror or err})"
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        if _refused_by_any_worker(strategy, problem is not None) and problem is None:
            release_all()
            problem = f"the chief worker refused the run folder '{paths.checkpoint_dir}' (its error says why)"
    if problem:
        raise RunFolderError(problem)
    return notes


def release_all():
    """Release the run-folder locks this process holds (the kernel also drops them when it ends)."""
    while _held:
        _held.pop().release()


def remove_unfinished_save(folder, number):
    """Remove what a failed save of checkpoint `number` left in `folder`: TensorFlow's `ckpt-N_temp` folder
    and unfinished `.tempstate` files. The finished checkpoints stay as they are."""
    prefix = os.path.join(glob.escape(folder), f'ckpt-{number}')
    for path in glob.glob(prefix + '_temp*') + glob.glob(prefix + '.*tempstate*'):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.remove(path)
            except OSError:
                pass
