"""Timing of the production loop against its peers (benchmarks/throughput.py --peers).

Each loop (LOOPS) trains in a process of its own, so that each has TensorFlow's or JAX's default
threads (the production loop: the ones it picks, base/threads.py) and its own peak RSS. The processes
run in turns: PROCESS_ROUNDS rounds of [production, keras, keras_spe200, jax], each process a warm-up
call (tracing, compiling) and TIMED_ROUNDS timed calls of `steps` steps (dense: whole epochs; CNN:
CNN_STEPS steps of one, scaled to the epoch's steps; the JAX CNN, whose XLA convolutions take ~0.4 s
a step on CPU, JAX_CNN_STEPS), so that the machine's load weighs on all alike.
The median over all timed calls of a loop gives its seconds per epoch and images/s; `project/peer`
is the production loop's images/s over the peer's (> 1: the production loop is faster).
"""
import importlib.util
import os
import resource
import statistics
import tempfile
import time

MODEL_TYPES = (0, 1)
BATCH = 32
LOOPS = {'production': {}, 'keras': dict(steps_per_execution=1), 'keras_spe200': dict(steps_per_execution=200),
         'jax': {}}
PROCESS_ROUNDS, TIMED_ROUNDS = 3, 2
CNN_STEPS, JAX_CNN_STEPS = 300, 30
QUICK_STEPS = 20


def available(names):
    """The loops of `names` (peer names, or 'all') that can run here: jax only where it is installed."""
    wanted = [name for name in LOOPS if name != 'production' and (names == 'all' or name.split('_')[0] in names)]
    return [name for name in wanted if name != 'jax' or importlib.util.find_spec('jax')]


def _trainer(loop, model_type, dataset, network):
    """run(epoch, steps) of the loop named `loop`."""
    if loop == 'production':
        from benchmarks.throughput import _build
        model = _build(model_type, BATCH, dataset, tempfile.mkdtemp(prefix='peers_'))
        return model._train_epoch
    if loop == 'jax':
        from benchmarks.peers.jax_scan import JaxScan
        return JaxScan(network, dataset.train.x, BATCH).train
    from benchmarks.peers.keras_fit import KerasFit
    return KerasFit(network, dataset.train.x, BATCH, **LOOPS[loop]).train


def measure(spec):
    """Worker side: {'loop', 'model_type', 'quick'} -> its warm-up, timed calls and peak RSS (MiB), JSON-able."""
    from benchmarks.throughput import _dataset
    from utils.constants import MODEL_TYPES as TYPES
    dataset, data_name = _dataset(spec['data_dir'])
    network = TYPES[spec['model_type']].network
    epoch_steps = len(dataset.train.x) // BATCH
    if spec['quick'] or network == 'dense':
        steps = QUICK_STEPS if spec['quick'] else epoch_steps
    else:
        steps = JAX_CNN_STEPS if spec['loop'] == 'jax' else CNN_STEPS
    run = _trainer(spec['loop'], spec['model_type'], dataset, network)
    start = time.perf_counter()
    run(0, steps)
    warmup = time.perf_counter() - start
    seconds = []
    for epoch in range(1, 2 if spec['quick'] else TIMED_ROUNDS + 1):
        start = time.perf_counter()
        run(epoch, steps)
        seconds.append(time.perf_counter() - start)
    return {'loop': spec['loop'], 'model_type': spec['model_type'], 'network': network, 'data': data_name,
            'batch_size': BATCH, 'steps_timed': steps, 'epoch_steps': epoch_steps, 'warmup_seconds': warmup,
            'round_seconds': seconds, 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            'cpus_allowed': len(os.sched_getaffinity(0))}


def compare(run_worker, names, quick):
    """Parent side: every loop of `names` for MODEL_TYPES, in turns; run_worker(spec) -> the worker's result.

    Returns {model_type: {'loops': {loop: summary}, 'project/peer': {peer: ratio}}}.
    """
    loops = ['production'] + available(names)
    runs = {t: {loop: [] for loop in loops} for t in MODEL_TYPES}
    for _ in range(1 if quick else PROCESS_ROUNDS):
        for t in MODEL_TYPES:
            for loop in loops:
                runs[t][loop].append(run_worker({'loop': loop, 'model_type': t, 'quick': quick}))
    return {str(t): _summary(runs[t]) for t in MODEL_TYPES}


def _summary(runs):
    """Medians over the timed calls of each loop's processes, and the production loop's speed over each peer's."""
    loops = {}
    for loop, processes in runs.items():
        first = processes[0]
        seconds = [s for p in processes for s in p['round_seconds']]
        per_step = statistics.median(seconds) / first['steps_timed']
        loops[loop] = {'seconds_per_epoch': per_step * first['epoch_steps'],
                       'images_per_second': first['batch_size'] / per_step,
                       'peak_rss_mb': max(p['peak_rss_mb'] for p in processes),
                       'other_processes_cpu_cores': statistics.mean(p['other_processes_cpu_cores'] or 0.0
                                                                    for p in processes),
                       'processes': processes}
    production = loops['production']['images_per_second']
    return {'loops': loops,
            'project/peer': {loop: production / s['images_per_second'] for loop, s in loops.items()
                             if loop != 'production'}}


def table(peers):
    """The side-by-side table of `compare`'s result, one block per model type."""
    lines = [f'{"model":>5} {"loop":>13} {"s/epoch":>8} {"images/s":>9} {"project/peer":>12} '
             f'{"peak RSS MB":>11} {"other load":>10}']
    for t, result in peers.items():
        for loop, s in result['loops'].items():
            ratio = result['project/peer'].get(loop)
            lines.append(f'{t:>5} {loop:>13} {s["seconds_per_epoch"]:>8.2f} {s["images_per_second"]:>9.0f} '
                         f'{"" if ratio is None else f"{ratio:.2f}x":>12} {s["peak_rss_mb"]:>11.0f} '
                         f'{s["other_processes_cpu_cores"]:>10.2f}')
    return '\n'.join(lines)
