"""benchmarks/paper_tables.py groups quality reports by setting, lists them seed by seed with the mean and
std of the seeds, and writes its tables into the doc that holds them (docs/results.md)."""
import json
import os
import re
import subprocess
import sys

from benchmarks import paper_tables

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GMVAE = ('python GMVAE_main.py --model_type=2 --K_clusters=16 --epochs=100 --seed={seed} --extra={extra}{suffix} '
         '--checkpoint_dir=c')
MARKERS = ('Before.\n<!-- paper_tables.py: clustering -->\nold table\n<!-- /paper_tables.py: clustering -->\n'
           'Between.\n<!-- paper_tables.py: likelihood -->\n<!-- /paper_tables.py: likelihood -->\nAfter.\n')


def report(command, **metrics):
    return dict({'command': command, 'epochs': 50, 'wall_seconds': 600.0, 'test/nll_iwae': 93.0,
                 'test/iw_samples': 1000}, **metrics)


def paper_tables_run(results, doc):
    return subprocess.run([sys.executable, os.path.join(ROOT, 'benchmarks', 'paper_tables.py'),
                           f'--results={results}', f'--doc={doc}'], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_seeds_of_one_setting_make_a_row_each_and_one_of_mean_and_std(tmp_path):
    runs = {'a': (0, '', 0.80, 0.86), 'b': (1, '_seed1', 0.90, 0.88), 'c': (2, '_seed2', 0.85, None)}
    for extra in ('bench', 'bench_cnn_warm10'):   # the second is a headline setting: its mean is the README's
        for name, (seed, suffix, accuracy, posterior) in runs.items():
            scored = {'test/accuracy_paper_posterior': posterior} if posterior else {}   # c: scored before it existed
            (tmp_path / f'results_{extra}_{name}.json').write_text(json.dumps(report(
                GMVAE.format(seed=seed, extra=extra, suffix=suffix), **scored,
                **{'test/accuracy_paper': accuracy, 'test/accuracy_many_to_one': 0.9, 'test/accuracy_hungarian': 0.7,
                   'test/clusters_in_use': 16, 'test/nmi': 0.75, 'test/loss': 97.5})))
    (tmp_path / 'results_old.json').write_text(json.dumps(report(GMVAE.format(seed=0, extra='bench', suffix='_old'))))
    (tmp_path / 'results_vae.json').write_text(json.dumps(report(
        'python VAE_main.py --model_type=0 --iw_train_samples=5 --seed=0 --extra=bench_iw5',
        **{'test/nll_iwae': 85.5, 'test/iw_samples': 5000})))
    (tmp_path / 'results_vae_cnn.json').write_text(json.dumps(report(
        'python VAE_main.py --model_type=1 --seed=0 --extra=bench_cnn',
        **{'test/nll_iwae': 84.9, 'test/nll_iwae_stderr': 0.5, 'test/iw_samples': 5000, 'test/iw_images': 2000,
           'test/iw_image_spacing': 5.0})))
    doc = tmp_path / 'docs' / 'results.md'
    doc.parent.mkdir()
    doc.write_text(MARKERS)
    done = paper_tables_run(tmp_path, doc)
    assert done.returncode == 0, done.stderr
    text = doc.read_text()
    assert text.startswith('Before.\n') and 'Between.' in text and text.endswith('After.\n')
    assert 'old table' not in text
    for table in (done.stdout, text):
        assert '| 16 | dense | bench | mean ± std of 3 | **85.0 ± 5.0** | 87.0 ± 1.4 (2 of 3 runs) | 90.0 ± 0.0 |' in table
        assert '| 16 | dense | bench | 1 | 90.0 | 88.0 | 90.0 | 70.0 | 16 | 0.750 | 93.00 | 97.50 | 50 | 10.0 |' in table
        assert '| 16 | dense | bench | 2 | 85.0 | — |' in table
        assert '| IWAE k=5 | dense | bench_iw5 | 0 | **85.50** | 5000 | — |' in table
        assert ('| VAE (ELBO) | CNN | bench_cnn | 0 | **84.90 (2000 images spread over the set, s.e. 0.50)** | '
                '5000 |') in table
        assert 'bench_old' not in table      # scored before accuracy_paper: left out until rescored
    # each run links its JSON, relative to the doc; the headline mean links to the README instead
    assert '[JSON](../results_bench_b.json)' in text
    readme = os.path.relpath(os.path.join(ROOT, 'README.md'), doc.parent)
    assert f'| 16 | dense | bench_cnn_warm10 | mean ± std of 3 | [README]({readme}#headline-results) |' in text
    tables = json.load(open(tmp_path / 'paper_tables.json'))
    (row,) = [r for r in tables['clustering'] if r['extra'] == 'bench']
    assert row['seeds'] == [0, 1, 2] and row['accuracy_paper'] == [0.80, 0.90, 0.85]


def test_a_doc_without_the_markers_is_refused_in_one_sentence(tmp_path):
    doc = tmp_path / 'results.md'
    doc.write_text('no markers\n')
    done = paper_tables_run(tmp_path, doc)
    assert done.returncode == 2
    assert done.stderr.strip().count('\n') == 0 and '<!-- paper_tables.py: clustering -->' in done.stderr
    assert doc.read_text() == 'no markers\n'


def committed_rows():
    """{(table, --extra): summary} of the committed reports that the tables show (not those scored before
    test/accuracy_paper, such as an earlier `bench` of other sizes)."""
    rows = [paper_tables.row(r) for r in paper_tables.groups(os.path.join(ROOT, 'benchmarks', 'results')).values()]
    return {('clustering' if 'K' in r else 'likelihood', r['extra']): r for r in rows
            if None not in r.get('accuracy_paper', [])}


def test_docs_results_holds_the_tables_of_the_committed_reports():
    rows = committed_rows()
    folder, results = os.path.join(ROOT, 'docs'), os.path.join(ROOT, 'benchmarks', 'results')
    with open(os.path.join(folder, 'results.md')) as f:
        text = f.read()
    clustering = [r for (table, _), r in rows.items() if table == 'clustering']
    likelihood = [r for (table, _), r in rows.items() if table == 'likelihood']
    assert paper_tables.clustering_table(clustering, folder, results) in text
    assert paper_tables.likelihood_table(likelihood, folder, results) in text


def test_the_readme_headline_table_holds_the_headline_numbers_of_the_reports():
    """The README states each headline number (and the papers' beside them) once; the docs link to it."""
    rows = committed_rows()
    with open(os.path.join(ROOT, 'README.md')) as f:
        readme = f.read()
    section = readme.split('## Headline results', 1)[1].split('\n## ', 1)[0]
    for key in paper_tables.HEADLINE:
        r = rows[key]
        value = paper_tables.nll(r) if key[0] == 'likelihood' else paper_tables.mean_std(r['accuracy_paper'], 100)
        value = re.sub(r' \(.*', '', value)
        assert section.count(f'**{value}**') == 1, (key, value)
        for file in r['files']:
            assert f'(benchmarks/results/{file})' in section, file
    for paper in list(paper_tables.PAPER_CLUSTERING.values()) + [f'{v:.2f}' for v in paper_tables.PAPER_NLL.values()]:
        assert paper in section, paper
    docs = ''.join(open(os.path.join(ROOT, 'docs', name)).read() for name in os.listdir(os.path.join(ROOT, 'docs')))
    for key in paper_tables.HEADLINE:
        r = rows[key]
        value = paper_tables.nll(r) if key[0] == 'likelihood' else paper_tables.mean_std(r['accuracy_paper'], 100)
        assert re.sub(r' \(.*', '', value) not in docs, value
