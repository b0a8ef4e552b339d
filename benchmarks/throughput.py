"""Training throughput of the four models, and how the production loop compares with plain ones.

    python benchmarks/throughput.py --data_dir=../shared/data [--quick] [--peers [--cores=N]] [--out=benchmarks/results]

Prints a table and writes `throughput.json` in --out. For model_type 0-3 with the spec's settings
(hidden 64, two layers, z_dim 8, sigma 0.001, drop_prob 0.3 with --dropout_on none, so no dropout,
Adam at 0.01; GMVAE w_dim 2, K 10) at batch sizes 32 and 128, on MNIST (or same-shaped uniform
random images when the files are not in --data_dir):

  * images/s and seconds per epoch of the production loop, BaseModel._train_epoch, timed after a
    warm-up call that traces and compiles it (dense models: whole epochs; CNNs: the first
    CNN_STEPS steps of one, scaled to the epoch's steps);
  * peak resident memory: ru_maxrss (resource.getrusage) of the worker process, one process per
    configuration (TensorFlow runtime + dataset + model + training, then again after the IWAE part);
  * evaluation throughput of the IWAE estimate of log p(x) (base/iwae.py, --iw_samples 1000):
    images/s from the difference of two timed runs on n and 3n test images after a warm-up run
    (each run of iwae.log_likelihood traces its function once; the difference cancels that out),
    with untrained weights (the speed does not depend on them); skipped without base/iwae.py;
  * for the spec VAE (model_type 0, batch 32) also, in the same process with the rounds interleaved
    so that machine load weighs on all alike: the same loop with XLA off (TensorFlow's graph runtime,
    as before XLA), a plain loop calling a tf.function of one step per batch (numpy batches), and that
    step run eagerly (a few hundred steps, scaled to the epoch); the ratios production/plain,
    production/eager and production/no-XLA are speed-ups (>1: production faster);
  * the spec VAE twice more, in processes started with TF_NUM_INTRAOP_THREADS=1 and =os.cpu_count()
    (TensorFlow's default): base/threads.py gives this small dense step one intra-op thread, since
    XLA's CPU runtime handing its small kernels between threads costs more than it gains; the
    second run is the loop as it was before that choice.

--peers (or --peers=keras, --peers=jax) times, instead, the production loop against the keras.io
`fit` pattern and a JAX `lax.scan` loop (benchmarks/peers/), model_type 0 and 1 at batch 32, side by
side with the ratio project/peer, each loop's peak RSS, and the load meanwhile; it writes them into
the `peers` section of throughput.json and keeps the file's other keys, as a run without --peers keeps
the `peers` section (benchmarks/peers/timing.py; the JAX peer needs
`pip install -r benchmarks/requirements-peers.txt` and is left out without it). About 7 minutes.
With --cores=N every loop's process is pinned to the first N CPUs, into a `peers_N_core` section:
--cores=1 compares the loops' single-core speed, apart from how each uses the other cores.

`other_processes_cpu_cores` (per run, and in `machine` for the whole) is the CPU time that other
processes used meanwhile, in cores: numbers taken while it is well above 0 are slowed by them (on
2 cores, by up to 2x). --quick runs a few steps of each model at batch
32 only, all in one process (its memory numbers are then cumulative): a smoke test, not a measurement.
Takes about 5-8 minutes on 2 CPU cores without --quick.
"""
import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.commands import recorded  # noqa: E402

SPEC = ['--hidden_dim=64', '--num_layers=2', '--z_dim=8', '--sigma=0.001', '--drop_prob=0.3', '--learning_rate=0.01']
BATCH_SIZES = (32, 128)
MODEL_TYPES = (0, 1, 2, 3)
ROUNDS = 3                      # timed rounds (median reported)
CNN_STEPS = {32: 200, 128: 60}  # steps timed for the CNNs (an epoch takes minutes)
PLAIN_STEPS = 600               # steps of the one-step-per-call loop per round
EAGER_STEPS = 200               # steps of the eager loop per round
IWAE_SAMPLES = 1000
IWAE_IMAGES = {'dense': 300, 'cnn': 8}   # n: timed on n and 3n test images, after a warm-up on n
THREAD_RUNS = {'spec_vae_one_intra_op_thread': 1, 'spec_vae_all_intra_op_threads': os.cpu_count()}
QUICK = dict(rounds=1, steps=20, plain=20, eager=5, iw_samples=10, iw_images=10)


# ---------------------------------------------------------------------------------------- worker
def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # KiB on Linux


def _dataset(data_dir):
    """MNIST from data_dir without downloading, else uniform random images of the same shapes."""
    import numpy as np
    from utils.data import DataError, Dataset, Split, load_dataset
    try:
        return load_dataset('MNIST', data_dir, download=False), 'MNIST'
    except DataError:
        rng = np.random.default_rng(0)
        split = lambda n: Split(rng.uniform(size=(n, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, n))
        return Dataset('MNIST', split(55000), split(5000), split(10000)), 'random'


def _build(model_type, batch, dataset, workdir, flags=SPEC):
    """The model of runner.main for these flags (default: the spec's), without checkpoints or summaries."""
    import logging

    import keras
    import tensorflow as tf

    from base import threads
    from base.base_model import RunPaths
    from utils.args import parse_args, run_name
    from utils.constants import MODEL_TYPES as TYPES
    family = TYPES[model_type].family
    args = parse_args(family, [f'--model_type={model_type}', f'--batch_size={batch}', *flags, '--summary=0',
                               f'--checkpoint_dir={workdir}/c', f'--log_dir={workdir}/l', f'--result_dir={workdir}/r'])
    threads.configure(args, dataset.image_shape)   # as base/runner.py does, before TensorFlow starts
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    if family == 'VAE':
        from Alg_VAE.VAE_model import VAEModel as Model
        if model_type == 0:
            from Alg_VAE.VAE_graph import VAEGraph as Graph
        else:
            from Alg_VAE.VAECNN_graph import VAECNNGraph as Graph
    else:
        from Alg_GMVAE.GMVAE_model import GMVAEModel as Model
        if model_type == 2:
            from Alg_GMVAE.GMVAE_graph import GMVAEGraph as Graph
        else:
            from Alg_GMVAE.GMVAECNN_graph import GMVAECNNGraph as Graph
    graph = Graph.from_args(args, dataset.image_shape)
    return Model(graph, args, dataset, RunPaths.from_args(run_name(args), args), logging.getLogger('throughput'))


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _graph_runtime(model):
    """The model's compiled functions built again without XLA (TensorFlow's graph runtime)."""
    import tensorflow as tf
    return {'_train_steps': tf.function(model._steps), '_replica_gradients': tf.function(model._gradients)}


@contextlib.contextmanager
def _swapped(model, functions):
    """The model's compiled functions replaced by `functions` (name -> function) while inside."""
    saved = {name: model.__dict__.get(name) for name in functions}
    model.__dict__.update(functions)
    try:
        yield
    finally:
        for name, fn in saved.items():
            if fn is None:
                model.__dict__.pop(name, None)
            else:
                model.__dict__[name] = fn


def _loops(model, index):
    """The spec VAE's comparison loops, each (name, run(steps) -> None): same step, other machinery.

    plain: one tf.function call per step (graph runtime) on a numpy batch; eager: the same step run eagerly.
    """
    import tensorflow as tf
    x = model.data.train.x
    graph_runtime = _graph_runtime(model)
    plain_step = tf.function(model._step)
    rows = tf.range(index.shape[1])

    def plain(steps):
        with _swapped(model, graph_runtime):
            for i in range(steps):
                loss = plain_step(tf.constant(x[index[i]]), rows)[0]
        float(loss)

    def eager(steps):
        tf.config.run_functions_eagerly(True)
        try:
            for i in range(steps):
                loss = model._step(tf.constant(x[index[i]]), rows)[0]
        finally:
            tf.config.run_functions_eagerly(False)
        float(loss)

    return plain, eager


def _iwae(model, graph_kind, quick):
    """IWAE evaluation throughput (images/s), or None without base/iwae.py."""
    try:
        from base import iwae
    except ImportError:
        return None
    k = QUICK['iw_samples'] if quick else IWAE_SAMPLES
    n = QUICK['iw_images'] if quick else IWAE_IMAGES[graph_kind]
    x = model.x_test
    fn = model.graph.log_importance_weights
    if not quick:
        iwae.log_likelihood(fn, x[:n], k)   # warm-up: one-time costs (each call also traces its own function)
    small = _timed(lambda: iwae.log_likelihood(fn, x[:n], k))
    large = _timed(lambda: iwae.log_likelihood(fn, x[:3 * n], k))
    per_image = (large - small) / (2 * n)   # the tracing time cancels out
    if per_image <= 0:   # too few images for that (--quick): an upper bound instead
        per_image = large / (3 * n)
    return {'iw_samples': k, 'images_timed': [n, 3 * n], 'seconds': [small, large],
            'images_per_second': 1.0 / per_image, 'seconds_for_test_set': per_image * len(x)}


def measure(model_type, batch, data_dir, quick):
    """Everything measured for one configuration, as a JSON-able dict."""
    import numpy as np
    import tensorflow as tf

    import base.base_model as base_model
    dataset, data_name = _dataset(data_dir)
    rss_data = _rss_mb()
    workdir = tempfile.mkdtemp(prefix='throughput_')
    model = _build(model_type, batch, dataset, workdir)
    n = len(dataset.train.x)
    epoch_steps = n // batch
    dense = model.graph.network == 'dense'
    steps = QUICK['steps'] if quick else (epoch_steps if dense else CNN_STEPS[batch])
    rounds = QUICK['rounds'] if quick else ROUNDS
    result = {'model_type': model_type, 'batch_size': batch, 'data': data_name, 'network': model.graph.network,
              'xla': bool(model.uses_xla), 'steps_per_call': base_model.STEPS_PER_CALL,
              'epoch_steps': epoch_steps, 'steps_timed': steps,
              'intra_op_threads': tf.config.threading.get_intra_op_parallelism_threads(),
              'TF_NUM_INTRAOP_THREADS': os.environ.get('TF_NUM_INTRAOP_THREADS'),
              'inter_op_threads': tf.config.threading.get_inter_op_parallelism_threads()}
    result['warmup_seconds'] = _timed(lambda: model._train_epoch(0, steps))
    spec = model_type == 0 and batch == 32
    loops = {'production': lambda: model._train_epoch(1, steps)}
    counts = {'production': steps}     # steps per timed round
    if spec:
        graph_runtime = _graph_runtime(model)

        def without_xla():
            with _swapped(model, graph_runtime):
                model._train_epoch(1, steps)
        plain, eager = _loops(model, np.random.default_rng(1).permutation(n)[:epoch_steps * batch].reshape(-1, batch))
        counts.update(no_xla=steps, plain=QUICK['plain'] if quick else PLAIN_STEPS,
                      eager=QUICK['eager'] if quick else EAGER_STEPS)
        without_xla()       # warm-up: traces the graph-runtime loop
        plain(2)            # warm-up: traces the one-step function
        eager(2)
        loops.update(no_xla=without_xla, plain=lambda: plain(counts['plain']), eager=lambda: eager(counts['eager']))
    seconds = {name: [] for name in loops}
    for _ in range(rounds):
        for name, run in loops.items():
            seconds[name].append(_timed(run))
    per_step = {name: statistics.median(times) / counts[name] for name, times in seconds.items()}
    result.update(seconds_per_epoch=per_step['production'] * epoch_steps,
                  images_per_second=batch / per_step['production'],
                  round_seconds=seconds['production'],
                  peak_rss_mb_training=_rss_mb(), rss_mb_after_data=rss_data)
    if spec:
        result['comparison'] = {
            name: {'seconds_per_epoch': per_step[name] * epoch_steps, 'images_per_second': batch / per_step[name],
                   'steps_timed': counts[name], 'round_seconds': seconds[name]}
            for name in ('no_xla', 'plain', 'eager')}
        result['speedup'] = {f'production/{name}': per_step[name] / per_step['production']
                             for name in ('no_xla', 'plain', 'eager')}
    result['iwae'] = _iwae(model, 'dense' if dense else 'cnn', quick)
    result['peak_rss_mb'] = _rss_mb()
    return result


def worker(configs, data_dir, quick):
    """Measure each (model_type, batch), or each peers spec (a dict: benchmarks/peers/timing.py), in this
    process; one JSON line per configuration on stdout."""
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    os.environ.setdefault('TQDM_DISABLE', '1')
    for config in configs:
        if isinstance(config, dict):
            from benchmarks.peers import timing
            result = timing.measure(dict(config, data_dir=data_dir, quick=quick))
        else:
            result = measure(*config, data_dir, quick)
        print(json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------- parent
def _busy_cpu_seconds():
    """CPU-seconds all processes of the machine have used (from /proc/stat), or None."""
    try:
        with open('/proc/stat') as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf('SC_CLK_TCK')


def _run_worker(configs, args, intra_op_threads=None):
    command = [sys.executable, os.path.abspath(__file__), '--worker', json.dumps(configs),
               f'--data_dir={args.data_dir}'] + (['--quick'] if args.quick else [])
    env = dict(os.environ)
    if intra_op_threads:
        env['TF_NUM_INTRAOP_THREADS'] = str(intra_op_threads)   # read by TensorFlow when its thread pools start
    cpus = sorted(os.sched_getaffinity(0))[:args.cores] if args.cores else None
    start, busy, ours = time.time(), _busy_cpu_seconds(), _children_cpu_seconds()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env,
                          preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
    if done.returncode:
        sys.stderr.write(done.stderr[-5000:])
        raise SystemExit(f'the worker for {configs} failed (exit status {done.returncode})')
    other = _other_cores(start, busy, ours)
    runs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{')]
    for run in runs:
        run['other_processes_cpu_cores'] = other
    return runs


def _children_cpu_seconds():
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _other_cores(start, busy, ours):
    """CPU time (in cores: CPU-seconds per second) that processes other than our workers used since `start`."""
    if busy is None:
        return None
    return max(0.0, (_busy_cpu_seconds() - busy - (_children_cpu_seconds() - ours)) / (time.time() - start))


def _table(runs):
    lines = [f'{"model":>5} {"batch":>5} {"network":>7} {"xla":>3} {"s/epoch":>8} {"images/s":>9} '
             f'{"peak RSS MB":>11} {"IWAE img/s":>10} {"other load":>10}']
    for r in runs:
        iw = r['iwae']['images_per_second'] if r['iwae'] else float('nan')
        lines.append(f'{r["model_type"]:>5} {r["batch_size"]:>5} {r["network"]:>7} {"yes" if r["xla"] else "no":>3} '
                     f'{r["seconds_per_epoch"]:>8.2f} {r["images_per_second"]:>9.0f} {r["peak_rss_mb"]:>11.0f} '
                     f'{iw:>10.1f} {r["other_processes_cpu_cores"] or 0.0:>10.2f}')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data_dir', default='../shared/data')
    parser.add_argument('--out', default='benchmarks/results')
    parser.add_argument('--quick', action='store_true', help='a few steps of each model, batch 32: a smoke test')
    parser.add_argument('--peers', nargs='?', const='all', metavar='keras,jax',
                        help='time the peers (all, or those named) against the production loop instead, into the '
                             '`peers` section of throughput.json')
    parser.add_argument('--cores', type=int, metavar='N',
                        help='with --peers: pin every loop\'s process to the first N CPUs (os.sched_setaffinity), '
                             'into the `peers_N_core` section of throughput.json')
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    usable = len(os.sched_getaffinity(0))
    if args.cores is not None and not (args.peers and 1 <= args.cores <= usable):
        parser.error(f'--cores goes with --peers and must be 1..{usable}, got {args.cores}')
    if args.worker:
        return worker(json.loads(args.worker), args.data_dir, args.quick)
    if args.peers:
        return peers_main(args, argv)
    configs = [(t, b) for b in ((32,) if args.quick else BATCH_SIZES) for t in MODEL_TYPES]
    groups = [configs] if args.quick else [[c] for c in configs]   # one process per configuration
    start, busy, load, ours = time.time(), _busy_cpu_seconds(), os.getloadavg(), _children_cpu_seconds()
    runs = [run for group in groups for run in _run_worker(group, args)]
    # The spec VAE again with one intra-op thread and with all (base/threads.py's choice, and TensorFlow's default).
    threads = {} if args.quick else {key: _run_worker([(0, 32)], args, intra_op_threads=n)[0]
                                     for key, n in THREAD_RUNS.items()}
    wall = time.time() - start
    other = _other_cores(start, busy, ours)
    spec = next(r for r in runs if r['model_type'] == 0 and r['batch_size'] == 32)
    report = {
        'command': recorded('benchmarks/throughput.py', argv if argv is not None else sys.argv[1:]),
        'quick': args.quick,
        'memory_measure': 'ru_maxrss (resource.getrusage) of the worker process, in MiB' +
                          ('; one process for all configurations: cumulative' if args.quick else
                           '; one process per configuration'),
        'machine': {'cpus': os.cpu_count(), 'load_average_at_start': load, 'load_average_at_end': os.getloadavg(),
                    'other_processes_cpu_cores': other, 'wall_seconds': wall},
        'spec_vae': {'seconds_per_epoch': spec['seconds_per_epoch'], 'images_per_second': spec['images_per_second'],
                     **spec.get('speedup', {})},
        'runs': runs,
    }
    for key, r in threads.items():
        report[key] = {'seconds_per_epoch': r['seconds_per_epoch'], 'images_per_second': r['images_per_second'],
                       **r['speedup'], 'run': r}
    print(_table(runs))
    s = report['spec_vae']
    print(f'spec_vae (model_type 0, batch 32): {s["seconds_per_epoch"]:.2f} s/epoch, {s["images_per_second"]:.0f} '
          f'images/s; speed-up of the production loop over: the same loop without XLA '
          f'{s["production/no_xla"]:.2f}x, a plain one-step-per-call tf.function {s["production/plain"]:.2f}x, '
          f'eager {s["production/eager"]:.1f}x')
    for key, n in THREAD_RUNS.items() if threads else ():
        s = report[key]
        print(f'spec_vae with TF_NUM_INTRAOP_THREADS={n}: {s["seconds_per_epoch"]:.2f} s/epoch, '
              f'{s["images_per_second"]:.0f} images/s; over no XLA {s["production/no_xla"]:.2f}x, '
              f'plain {s["production/plain"]:.2f}x, eager {s["production/eager"]:.1f}x')
    print(f'other processes used {other if other is not None else float("nan"):.2f} CPU cores meanwhile')
    path = os.path.join(args.out, 'throughput.json')
    # kept from the last --peers runs
    report.update({key: value for key, value in _read(path).items() if key.startswith('peers')})
    _write(path, report)
    return 0


def peers_main(args, argv):
    """--peers: the peers against the production loop, written into throughput.json's `peers` section (the
    file's other keys are kept), with this run's command and load."""
    from benchmarks.peers import timing
    names = 'all' if args.peers == 'all' else args.peers.split(',')
    start, busy, load, ours = time.time(), _busy_cpu_seconds(), os.getloadavg(), _children_cpu_seconds()
    peers = timing.compare(lambda spec: _run_worker([spec], args)[0], names, args.quick)
    other = _other_cores(start, busy, ours)
    print(timing.table(peers))
    print(f'other processes used {other if other is not None else float("nan"):.2f} CPU cores meanwhile')
    path = os.path.join(args.out, 'throughput.json')
    report = _read(path)
    report['peers' if args.cores is None else f'peers_{args.cores}_core'] = {
        'command': recorded('benchmarks/throughput.py', argv if argv is not None else sys.argv[1:]),
        'quick': args.quick, 'batch_size': timing.BATCH, 'cores': args.cores,
        'machine': {'cpus': os.cpu_count(), 'load_average_at_start': load, 'load_average_at_end': os.getloadavg(),
                    'other_processes_cpu_cores': other, 'wall_seconds': time.time() - start},
        **peers}
    _write(path, report)
    return 0


def _read(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _write(path, report):
    from utils.files import atomic_write_json
    atomic_write_json(path, report)
    print(f'Wrote {path}')


if __name__ == '__main__':
    sys.exit(main())
