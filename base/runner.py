"""What VAE_main.py and GMVAE_main.py do: parse, load data, build, restore, train, report.

Every failure the user can cause ends with exit status 2 and one sentence, never a traceback.
"""
import os
import sys

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


def main(family, graphs, model_class, argv=None):
    """Run one job of `family` ('VAE' or 'GMVAE'); graphs maps model_type -> graph class. Returns the exit status."""
    args = parse_args(family, argv)
    # Heavy imports after parsing, so that --help and argument errors answer at once.
    import keras
    import tensorflow as tf

    from base.base_model import RunError, RunPaths
    from utils.data import DataError, load_dataset
    from utils.logger import get_logger

    paths = RunPaths.from_args(run_name(args), args)
    problem = _make_dirs(paths)
    if problem:
        return _fail(problem)
    log = get_logger(paths.name, paths.log_file)
    log.info(f'Run {paths.name}: ' + ' '.join(f'--{k}={v}' for k, v in sorted(vars(args).items())))
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    try:
        dataset = load_dataset(args.dataset_name, args.data_dir)
        log.info(f'{dataset.name}: train {dataset.train.x.shape}, valid {dataset.valid.x.shape}, '
                 f'test {dataset.test.x.shape}')
        graph = graphs[args.model_type].from_args(args, dataset.image_shape)
        model = model_class(graph, args, dataset, paths, log)
        if args.restore:
            model.restore(required=not args.train)
        if args.train:
            model.train()
        if args.results:
            model.results(plot=bool(args.plot))
    except (DataError, RunError) as err:
        log.error(str(err))
        return _fail(str(err))
    except KeyboardInterrupt:
        log.error('Interrupted: the last completed epoch is saved; resume with the same flags and --restore=1.')
        return 130
    log.info(f'Done. Checkpoints: {paths.checkpoint_dir}  TensorBoard: tensorboard --logdir {paths.summary_dir}  '
             f'Results: {paths.result_dir}')
    return 0
