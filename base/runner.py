"""What VAE_main.py and GMVAE_main.py do: parse, load data, build, restore, train, report.

Every failure the user can cause ends with exit status 2 and one sentence, never a traceback.
Anything unexpected ends with exit status 1 and one sentence; its traceback goes to the run's log
file only. SIGINT / SIGTERM stop training once the epoch in progress is saved, with exit status
130 / 143 and the command that resumes it.
"""
import logging
import os
import shlex
import signal
import sys

from base.console import quiet_console
from base.run_folder import RunFolderError, claim, release_all
from utils.args import parse_args, run_name


def _fail(message):
    print(f'error: {message}', file=sys.stderr)
    return 2


def _make_dirs(paths):
    for folder in (paths.checkpoint_dir, paths.summary_dir, paths.result_dir):
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as err:
            return f"cannot create the output folder '{folder}' ({err.strerror})"
        if not os.access(folder, os.W_OK):
            return f"the output folder '{folder}' is not writable"
    return None


def _log_to_file(log, message, exc_info=None):
    """An error record (with the traceback of `exc_info`) in the log's files only, not on the console."""
    record = log.makeRecord(log.name, logging.ERROR, __file__, 0, message, None, exc_info)
    for handler in log.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def record_run_data(dataset, paths, args, log):
    """Record in the run folder the split of a user's images (when training starts) and the files skipped."""
    from utils.files import atomic_write_text
    from utils.splits import write_record

    if dataset.record and args.train and not os.path.exists(paths.split_file):
        write_record(paths.split_file, *dataset.record)
        log.info(f"The split of the {len(dataset.record[0])} images is recorded in '{paths.split_file}'.")
    if dataset.skipped:
        skipped = os.path.join(paths.checkpoint_dir, 'skipped_images.txt')
        atomic_write_text(skipped, ''.join(f'{line}\n' for line in dataset.skipped))
        log.info(f"The {len(dataset.skipped)} files left out are listed in '{skipped}'.")


def main(family, classes, argv=None):
    """Run one job of `family` ('VAE' or 'GMVAE'); classes() imports and returns the graph classes by model_type
    and the model class. Returns the exit status."""
    try:
        return _main(family, classes, argv)
    finally:
        release_all()   # the run folder's lock (base/run_folder.py)


def _main(family, classes, argv):
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = parse_args(family, argv)
    # Heavy imports after parsing, so that --help and argument errors answer at once; TensorFlow quietly.
    quiet_console(argv)
    graphs, model_class = classes()
    import keras
    import tensorflow as tf

    from base import threads
    from base.assignments import images_like_run
    from base.base_model import Interrupted, RunError, RunPaths, first_line
    from base.memory import memory_problem
    from utils.data import DataError, load_dataset
    from utils.distribute import DistributeError, make_strategy
    from utils.images import parse_size
    from utils.logger import get_logger

    try:
        strategy = make_strategy(args.distribute)   # first: a multi-worker strategy sets up the runtime
    except DistributeError as err:
        return _fail(str(err))
    paths = RunPaths.from_args(run_name(args), args)
    try:   # before the run's folders are made: bad data writes nothing into any run
        dataset = load_dataset(args.dataset_name, args.data_dir, image_size=parse_size(args.image_size),
                               channels=args.channels, skip_bad_images=bool(args.skip_bad_images),
                               split_record=None if args.overwrite and args.train else paths.split_file)
        new_images = images_like_run(args.predict, dataset.image_shape, args, paths.name) if args.predict else None
    except DataError as err:
        return _fail(str(err))
    except OSError as err:
        return _fail(f"cannot read '{err.filename or args.data_dir}' ({err.strerror or err})")
    problem = _make_dirs(paths)
    if problem:
        return _fail(problem)
    try:   # before anything of the run is written: one process per run, no other run destroyed
        notes = claim(paths, args, strategy)
    except RunFolderError as err:
        return _fail(str(err))
    log_file = paths.log_file
    if strategy is not None and not strategy.extended.should_checkpoint:   # a multi-worker run's other workers
        log_file = log_file[:-len('.log')] + f'.worker{strategy.cluster_resolver.task_id}.log'
    try:
        log = get_logger(paths.name, log_file)
    except OSError as err:
        return _fail(f"cannot write the log file '{log_file}' ({err.strerror})")
    log.info(f'Run {paths.name}: ' + ' '.join(f'--{k}={v}' for k, v in sorted(vars(args).items())))
    for note in notes:
        log.warning(note)
    go_on = ['--restore=1'] + (['--overwrite=0'] if args.overwrite else [])   # the run was set aside already
    resume = f'python {family}_main.py ' + ' '.join(shlex.quote(a) for a in argv + go_on)

    def fail(message, status=2, exc_info=None):
        _log_to_file(log, message, exc_info)
        print(f'error: {message}', file=sys.stderr)
        return status

    if args.train and args.drop_prob > 0 and args.dropout_on == 'none':
        log.warning(f'--drop_prob={args.drop_prob} is not applied: as in the original, dropout is off unless '
                    '--dropout_on=hidden or --dropout_on=input (docs/spec-examples.md says why).')
    try:
        keras.utils.set_random_seed(args.seed)
        tf.config.experimental.enable_op_determinism()
        for note in dataset.notes:
            log.info(note)
        log.info(f'{dataset.name}: train {dataset.train.x.shape}, valid {dataset.valid.x.shape}, '
                 f'test {dataset.test.x.shape}' + (f" from '{dataset.source}'" if dataset.source else ''))
        record_run_data(dataset, paths, args, log)
        problem = memory_problem(args, dataset)
        if problem:
            raise RunError(problem)
        if strategy is None and threads.configure(args, dataset.image_shape):
            log.info('One intra-op thread: a step of this size runs faster so (base/threads.py).')
        if strategy is not None and strategy.num_replicas_in_sync == 1:
            log.warning(f'--distribute={args.distribute} found one device only: it trains as one replica, '
                        'slower than --distribute=none (no XLA around the whole loop).')
        elif strategy is not None:
            log.info(f'--distribute={args.distribute}: {strategy.num_replicas_in_sync} replicas, '
                     f'{args.batch_size / strategy.num_replicas_in_sync:g} images each per step')
        with (strategy or tf.distribute.get_strategy()).scope():
            graph = graphs[args.model_type].from_args(args, dataset.image_shape)
        model = model_class(graph, args, dataset, paths, log, strategy)
        if args.restore or not args.train:   # a results-only run always loads the newest checkpoint
            model.restore(required=not args.train)
        if args.train:
            model.train()
        if args.results:
            model.results(plot=bool(args.plot))
        if args.predict:
            for note in new_images.notes:
                log.info(note)
            model.write_predictions(args.predict, new_images)
    except (DataError, RunError) as err:
        return fail(str(err))
    except Interrupted as stop:
        if stop.finished:
            what = f'training ended (epoch {stop.epoch} saved in \'{paths.checkpoint_dir}\') before the results'
        else:
            what = (f'saving epoch {stop.epoch} of {args.epochs} in \'{paths.checkpoint_dir}\' '
                    '(a stop waits for the end of the epoch in progress)')
        return fail(f'Stopped by {stop.signal_name} after {what}; go on with: {resume}',
                    128 + signal.Signals[stop.signal_name])
    except KeyboardInterrupt as err:   # Ctrl-C outside training, or a second signal during an epoch
        signum = getattr(err, 'signum', signal.SIGINT)
        return fail(f'Stopped by {signal.Signals(signum).name} at once: work since the last checkpoint in '
                    f"'{paths.checkpoint_dir}' is lost; go on with: {resume}", 128 + signum)
    except (MemoryError, tf.errors.ResourceExhaustedError) as err:
        return fail(f'out of memory ({first_line(err)}): choose a smaller --batch_size, '
                    '--hidden_dim or --num_layers')
    except OSError as err:
        where = f" '{err.filename}'" if err.filename else ''
        return fail(f'cannot read or write{where} ({err.strerror or err})')
    except Exception as err:
        message = (f'unexpected {type(err).__name__} ({first_line(err)}); the traceback is in the log file '
                   f"'{log_file}'")
        return fail(message, 1, sys.exc_info())
    if not model.is_chief:
        log.info('Done. The chief worker writes the checkpoints, summaries and results.')
        return 0
    log.info(f'Done. Checkpoints: {paths.checkpoint_dir}  TensorBoard: tensorboard --logdir {paths.summary_dir}  '
             f'Results: {paths.result_dir}')
    return 0
