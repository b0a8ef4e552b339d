"""The tables of docs/results.md beside the papers': GMVAE clustering on MNIST and VAE/IWAE test NLL.

    python benchmarks/paper_tables.py [--results=benchmarks/results] [--doc=docs/results.md]

Reads every `results_*.json` that benchmarks/quality.py wrote in --results, groups the runs that
differ only in --seed, and writes one Markdown table per paper into --doc, between its marker lines
`<!-- paper_tables.py: NAME -->` and `<!-- /paper_tables.py: NAME -->`: a row per run (seed by seed,
each linked to its JSON), then for a setting of several seeds their mean ± std. It prints the tables
too, and writes them with the commands of every run to `paper_tables.json` in --results.

The README's headline table is the one home of its numbers: where a cell here would hold one of them
(HEADLINE), it links to the README instead. The papers' numbers, too, are left to that table:

Paper numbers (MNIST test set):
- Dilokthanakul et al. (2016), Table 1, clustering accuracy by the protocol of Makhzani et al.:
  K=16 87.82 ± 5.33 %, K=30 92.77 ± 1.60 % (GMVAE, M=10 Monte Carlo samples).
- Burda et al. (2016), Table 1, one stochastic layer, test NLL with k=5000 importance samples:
  VAE k=1 86.76 nats, IWAE k=5 85.54, IWAE k=50 84.78.
"""
import argparse
import glob
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from utils.files import atomic_write_json, atomic_write_text  # noqa: E402

# The papers' numbers, which the README's headline table sets beside ours (tests/test_paper_tables.py checks it).
PAPER_CLUSTERING = {16: '87.82 ± 5.33', 30: '92.77 ± 1.60'}
PAPER_NLL = {1: 86.76, 5: 85.54, 50: 84.78}
# The settings whose number (mean of the seeds) the README's headline table holds: (table, --extra).
HEADLINE = {('clustering', 'bench_cnn_warm10'), ('clustering', 'bench_cnn_warm10_m2'),
            ('clustering', 'bench_cnn_k30_warm10'), ('likelihood', 'bench_cnn_warm10')}
NETWORK = {0: 'dense', 1: 'CNN', 2: 'dense', 3: 'CNN'}


def flags(command):
    """The --name=value flags of a command line, the last value of each: {name: value}."""
    return dict(re.findall(r'--(\w+)=(\S+)', command))


def setting(command):
    """The run's flags without --seed and the seed suffix of --extra: runs of one setting share it."""
    f = flags(command)
    f.pop('seed', None)
    f['extra'] = re.sub(r'_seed\d+$', '', f.get('extra', ''))
    for folder in ('checkpoint_dir', 'log_dir', 'result_dir', 'data_dir'):
        f.pop(folder, None)
    return tuple(sorted(f.items()))


def mean_std(values, scale=1.0, digits=1):
    values = [v * scale for v in values]
    if len(values) == 1:
        return f'{values[0]:.{digits}f}'
    return f'{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}'


def available_mean_std(values, scale=1.0):
    """mean_std of the runs that have a value, saying how many when not all; a dash when none has."""
    have = [v for v in values if v is not None]
    if not have:
        return '—'
    text = mean_std(have, scale)
    return text if len(have) == len(values) else f'{text} ({len(have)} of {len(values)} runs)'


def groups(folder):
    """{setting: [report, ...]} of every quality report in folder, each report with its file name."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, 'results_*.json'))):
        with open(path) as f:
            report = json.load(f)
        if 'command' in report:
            out.setdefault(setting(report['command']), []).append(dict(report, file=os.path.basename(path)))
    return out


def row(reports):
    """The summary of the runs of one setting: what produced them and, seed by seed, their numbers."""
    reports = sorted(reports, key=lambda r: int(flags(r['command'])['seed']))
    f = flags(reports[0]['command'])
    model_type = int(f['model_type'])
    summary = {'model_type': model_type, 'network': NETWORK[model_type], 'extra': f.get('extra', ''),
               'seeds': [int(flags(r['command'])['seed']) for r in reports],
               'files': [r['file'] for r in reports], 'commands': [r['command'] for r in reports],
               'epochs': [r['epochs'] for r in reports],
               'minutes_per_run': [round(r['wall_seconds'] / 60, 1) for r in reports],
               'nll': [r.get('test/nll_iwae') for r in reports],
               'nll_stderr': [r.get('test/nll_iwae_stderr') for r in reports],
               'test_loss': [r.get('test/loss') for r in reports],
               'iw_samples': sorted({r.get('test/iw_samples') for r in reports} - {None}),
               'iw_images': sorted({r.get('test/iw_images') for r in reports} - {None}),
               'iw_images_spread': all('test/iw_image_spacing' in r for r in reports)}
    if 'K_clusters' in f:
        summary['K'] = int(f['K_clusters'])
        for name in ('accuracy_paper', 'accuracy_paper_posterior', 'accuracy_many_to_one', 'accuracy_hungarian',
                     'clusters_in_use', 'nmi'):
            summary[name] = [r.get(f'test/{name}') for r in reports]
    else:
        summary['iw_train_samples'] = int(f.get('iw_train_samples', 1))
    return summary


def nll(r):
    """The NLL cell of a summary: mean ± std over its runs, and which test images it averages when not all
    10,000: the first N (runs before test/iw_image_spacing) or N spread over the set, with the standard error
    of each run's subset mean where the run recorded it."""
    text = number(r['nll'], digits=2)
    partial = [n for n in r['iw_images'] if n < 10000]
    if not partial:
        return text
    which = f'{partial[0]} images spread over the set' if r['iw_images_spread'] else f'first {partial[0]} images'
    errors = [e for e in r['nll_stderr'] if e is not None]
    stderr = f", s.e. {'/'.join(f'{e:.2f}' for e in errors)}" if errors else ''
    return f'{text} ({which}{stderr})'


# The keys of a setting's summary that hold one value per run, in seed order.
PER_RUN = ('seeds', 'files', 'commands', 'epochs', 'minutes_per_run', 'nll', 'nll_stderr', 'test_loss',
           'accuracy_paper', 'accuracy_paper_posterior', 'accuracy_many_to_one', 'accuracy_hungarian',
           'clusters_in_use', 'nmi')


def one_run(r, i):
    """The summary of run i of a setting, as if the setting had that run only."""
    return {k: [v[i]] if k in PER_RUN else v for k, v in r.items()}


def number(values, scale=1.0, digits=1):
    """mean_std of the values, or a dash where a run has none (e.g. scored before the metric existed)."""
    return '—' if not values or None in values else mean_std(values, scale, digits)


class Table:
    """A table of docs/: a row per run, then for a setting of several runs a row of their mean ± std. The
    number that the README's headline table holds (HEADLINE: the mean of a setting's runs, or its one run)
    becomes a link to that table instead."""

    def __init__(self, name, doc_folder, results):
        self.name, self.doc_folder, self.results = name, doc_folder, results
        readme = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'README.md')
        self.readme = f'[README]({os.path.relpath(readme, doc_folder)}#headline-results)'

    def main_cell(self, r, text, whole):
        """The table's main number, bold where the row stands for the whole setting (whole)."""
        if not whole:
            return text
        return self.readme if (self.name, r['extra']) in HEADLINE else f'**{text}**'

    def link(self, run):
        return f"[JSON]({os.path.relpath(os.path.join(self.results, run['files'][0]), self.doc_folder)})"

    def rows(self, r, prefix, cells):
        """cells(summary, whole) -> the cells after the setting's and the seed's."""
        several = len(r['seeds']) > 1
        lines = [f"| {prefix} | {r['seeds'][i]} | " + ' | '.join(cells(one_run(r, i), not several)) + ' |'
                 for i in range(len(r['seeds']))]
        if several:
            lines.append(f"| {prefix} | mean ± std of {len(r['seeds'])} | " + ' | '.join(cells(r, True)) + ' |')
        return lines


def clustering_table(rows, doc_folder='.', results='.'):
    lines = ['| K | networks | setting (--extra) | seed | accuracy, paper protocol (%) | '
             'paper protocol on q(y\\|x) (%) | majority vote (%) | Hungarian (%) | clusters in use | NMI | '
             'test NLL (nats) | test -ELBO (nats) | epochs | minutes per run | report |',
             '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    table = Table('clustering', doc_folder, results)

    def cells(r, whole):
        mean = len(r['seeds']) > 1
        return [table.main_cell(r, mean_std(r['accuracy_paper'], 100), whole),
                available_mean_std(r['accuracy_paper_posterior'], 100), mean_std(r['accuracy_many_to_one'], 100),
                mean_std(r['accuracy_hungarian'], 100), '' if mean else number(r['clusters_in_use'], digits=0),
                number(r['nmi'], digits=3), number(r['nll'], digits=2) if mean else nll(r),
                number(r['test_loss'], digits=2)] + (['', '', ''] if mean else [
                    str(r['epochs'][0]), str(r['minutes_per_run'][0]), table.link(r)])

    for r in sorted(rows, key=lambda r: (r['K'], r['network'], r['extra'])):
        if None in r['accuracy_paper']:
            continue   # scored before test/accuracy_paper existed: rescore it (quality.py --rescore)
        lines += table.rows(r, f"{r['K']} | {r['network']} | {r['extra']}", cells)
    return '\n'.join(lines)


def likelihood_table(rows, doc_folder='.', results='.'):
    lines = ['| objective | networks | setting (--extra) | seed | test NLL (nats) | importance samples | '
             'test -ELBO (nats) | epochs | minutes per run | report |',
             '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |']
    table = Table('likelihood', doc_folder, results)

    def cells(r, whole):
        mean = len(r['seeds']) > 1
        return [table.main_cell(r, number(r['nll'], digits=2) if mean else nll(r), whole),
                '/'.join(map(str, r['iw_samples'])), number(r['test_loss'], digits=2)] + (['', '', ''] if mean else [
                    str(r['epochs'][0]), str(r['minutes_per_run'][0]), table.link(r)])

    for r in sorted(rows, key=lambda r: (r['iw_train_samples'], r['network'], r['extra'])):
        k = r['iw_train_samples']
        lines += table.rows(r, f"{'VAE (ELBO)' if k == 1 else f'IWAE k={k}'} | {r['network']} | {r['extra']}", cells)
    return '\n'.join(lines)


def write_tables(doc, tables, tool='paper_tables.py'):
    """Replace the text between each table's marker lines, `<!-- TOOL: NAME -->` and `<!-- /TOOL: NAME -->`, in
    doc; a sentence naming what is missing, or None."""
    try:
        with open(doc) as f:
            text = f.read()
    except OSError as err:
        return f"cannot read --doc '{doc}' ({err.strerror})"
    for name, table in tables.items():
        begin, end = f'<!-- {tool}: {name} -->', f'<!-- /{tool}: {name} -->'
        if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
            return f"'{doc}' needs one line '{begin}' and, after it, one line '{end}'"
        # blank lines around the table, so that every Markdown renderer ends the comment and the table
        text = text[:text.index(begin) + len(begin)] + '\n\n' + table + '\n\n' + text[text.index(end):]
    atomic_write_text(doc, text)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--results', default='benchmarks/results')
    parser.add_argument('--doc', default='docs/results.md', help='the Markdown file that holds the tables')
    args = parser.parse_args()
    rows = [row(reports) for reports in groups(args.results).values()]
    clustering = [r for r in rows if 'K' in r]
    likelihood = [r for r in rows if 'K' not in r]
    folder = os.path.dirname(os.path.abspath(args.doc))
    tables = {'clustering': clustering_table(clustering, folder, args.results),
              'likelihood': likelihood_table(likelihood, folder, args.results)}
    print('GMVAE clustering on MNIST (test set):\n' + tables['clustering'])
    print('\nVAE / IWAE on dynamically binarised MNIST (test set):\n' + tables['likelihood'])
    problem = write_tables(args.doc, tables)
    if problem:
        parser.exit(2, f'error: {problem}\n')
    print(f'\nwrote both tables into {args.doc}')
    atomic_write_json(os.path.join(args.results, 'paper_tables.json'),
                      {'clustering': clustering, 'likelihood': likelihood})


if __name__ == '__main__':
    main()
