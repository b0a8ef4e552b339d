"""The README's table of the clustering suite and docs/clustering.md's of the candidates are those of their JSON."""

from benchmarks import clustering_suite as suite
from utils.files import read_json


def between_markers(path, name):
    text = open(path, encoding='utf-8').read()
    begin, end = f'<!-- clustering_suite.py: {name} -->', f'<!-- /clustering_suite.py: {name} -->'
    return text[text.index(begin) + len(begin):text.index(end)].strip()


def test_the_readme_and_docs_tables_are_those_of_the_suite_json():
    rows = read_json(suite.OUT)['rows']
    assert rows and {r['configuration'] for r in rows} == {suite.CHOSEN}
    assert between_markers(suite.README, 'suite') == suite.suite_table(rows)
    assert between_markers(suite.DOC, 'candidates') == suite.candidates_table(read_json(suite.CANDIDATES)['rows'])


def test_the_suite_json_holds_every_set_for_both_networks():
    rows = read_json(suite.OUT)['rows']
    assert sorted((r['dataset'], r['model_type']) for r in rows) == sorted((s, t) for s in suite.SETS for t in (2, 3))
    assert all(r['exit_status'] == 0 and r['gmvae']['accuracy_hungarian'] is not None for r in rows)
