"""Every relative link of README.md and docs/*.md points to a file that exists, and to one of its headings
(GitHub's anchors); the README stays short and links to every doc."""
import glob
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = [os.path.join(ROOT, 'README.md')] + sorted(glob.glob(os.path.join(ROOT, 'docs', '*.md')))


def prose(path):
    """The text of a Markdown file without its fenced code blocks."""
    with open(path) as f:
        return re.sub(r'^```.*?^```', '', f.read(), flags=re.S | re.M)


def anchors(path):
    """GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces as hyphens,
    and -1, -2, ... on repeats."""
    seen, out = {}, set()
    for heading in re.findall(r'^#{1,6} +(.+?) *$', prose(path), flags=re.M):
        slug = re.sub(r'[^\w\- ]', '', heading.lower()).replace(' ', '-')
        out.add(f'{slug}-{seen[slug]}' if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return out


def links(path):
    """The relative targets of a file's Markdown links and <img src>."""
    text = prose(path)
    targets = re.findall(r'\]\(([^)\s]+)\)', text) + re.findall(r'<img [^>]*src="([^"]+)"', text)
    return [t for t in targets if not re.match(r'[a-z]+:', t)]


def test_every_relative_link_reaches_a_file_and_a_heading():
    broken = []
    for page in PAGES:
        for target in links(page):
            file, _, anchor = target.partition('#')
            path = os.path.normpath(os.path.join(os.path.dirname(page), file)) if file else page
            if not os.path.exists(path):
                broken.append(f'{os.path.relpath(page, ROOT)}: {target} (no such file)')
            elif anchor and anchor not in anchors(path):
                broken.append(f'{os.path.relpath(page, ROOT)}: {target} (no such heading)')
    assert not broken, broken


def test_the_readme_is_short_and_links_to_every_doc():
    with open(os.path.join(ROOT, 'README.md')) as f:
        readme = f.read()
    assert len(readme.split()) <= 2500
    for doc in PAGES[1:]:
        assert f'(docs/{os.path.basename(doc)})' in readme, doc


def test_anchors_follow_github():
    assert anchors(os.path.join(ROOT, 'docs', 'spec-examples.md')) >= {'why-the-specs-examples-train-well'}
    assert anchors(os.path.join(ROOT, 'docs', 'results.md')) >= {'how-much-the-papers-protocol-moves'}
