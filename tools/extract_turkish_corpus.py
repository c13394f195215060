#!/usr/bin/python3
"""Builds a Turkish text corpus under data/tr/ from Debian packages (set-up time only).

Sources (see ../shared/design/turkish-data.md):
  - manpages-tr: /usr/share/man/tr/man*/*.gz, rendered with groff (-man -Tutf8, no wrapping, no hyphenation,
    no overstriking) -> data/tr/manpages.txt, one paragraph per line.
  - libreoffice-help-tr: /usr/share/libreoffice/help/tr/text/**/*.html, the text of every <p>/<h1..6> element
    that carries an id (par_id…, hd_id…, bm_id…); paragraphs identical to the en-US help (untranslated) are
    dropped when libreoffice-help-en-us is installed -> data/tr/lohelp.txt.
  - data/tr/corpus.txt: both, deduplicated, in a fixed order.

The extracted text is never committed (data/ is git-ignored). Missing packages can be installed with
  apt-get install -y --no-install-recommends manpages-tr libreoffice-help-tr libreoffice-help-en-us
(pass --install to let this script do it).

Usage: tools/extract_turkish_corpus.py [--out data/tr] [--install]
"""
import argparse
import glob
import gzip
import html
import html.parser
import os
import re
import subprocess
import sys

PACKAGES = ["manpages-tr", "libreoffice-help-tr", "libreoffice-help-en-us"]


def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and "install ok installed" in r.stdout


def clean(line):
    line = line.replace("\u00ad", "").replace("\u2010", "-")
    line = re.sub(r"[ \t\u00a0]+", " ", line).strip()
    return line


def has_letters(line):
    return sum(ch.isalpha() for ch in line) >= 3


def render_man(path):
    with gzip.open(path, "rb") as f:
        src = f.read()
    # No wrapping (huge line length), no hyphenation, no adjustment, plain UTF-8 without overstriking.
    cmd = ["groff", "-k", "-Kutf8", "-man", "-Tutf8", "-P-cbou", "-rLL=2000n", "-rHY=0", "-dAD=l", "-t"]
    try:
        r = subprocess.run(cmd, input=src, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return []
    text = r.stdout.decode("utf-8", errors="replace")
    out = []
    for line in text.split("\n"):
        line = clean(line)
        if line and has_letters(line) and "\ufffd" not in line:
            out.append(line)
    return out


class ParaParser(html.parser.HTMLParser):
    TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "td"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paras = []  # (id, text)
        self.stack = []  # [tag, id, parts]

    def handle_starttag(self, tag, attrs):
        if tag in self.TAGS:
            a = dict(attrs)
            self.stack.append([tag, a.get("id", ""), []])
        elif tag == "br" and self.stack:
            self.stack[-1][2].append(" ")

    def handle_endtag(self, tag):
        if tag in self.TAGS and self.stack:
            # close up to the matching tag
            while self.stack:
                t, pid, parts = self.stack.pop()
                if pid:
                    self.paras.append((pid, "".join(parts)))
                elif self.stack:
                    self.stack[-1][2].append("".join(parts))
                if t == tag:
                    break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)


def lo_paragraphs(path):
    p = ParaParser()
    with open(path, encoding="utf-8", errors="replace") as f:
        p.feed(f.read())
    p.close()
    return {pid: clean(text) for pid, text in p.paras}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "tr"))
    ap.add_argument("--install", action="store_true", help="apt-get install the packages when missing")
    args = ap.parse_args()

    missing = [p for p in PACKAGES if not installed(p)]
    if missing and args.install:
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends"] + missing, check=True)
        missing = [p for p in PACKAGES if not installed(p)]
    if missing:
        print("warning: not installed: " + ", ".join(missing) +
              " (apt-get install -y --no-install-recommends " + " ".join(missing) + ")", file=sys.stderr)

    os.makedirs(args.out, exist_ok=True)

    man_lines = []
    for path in sorted(glob.glob("/usr/share/man/tr/man*/*.gz")):
        man_lines.extend(render_man(path))
    with open(os.path.join(args.out, "manpages.txt"), "w", encoding="utf-8") as f:
        for line in man_lines:
            f.write(line + "\n")

    lo_lines = []
    tr_root = "/usr/share/libreoffice/help/tr/text"
    en_root = "/usr/share/libreoffice/help/en-US/text"
    for path in sorted(glob.glob(tr_root + "/**/*.html", recursive=True)):
        tr = lo_paragraphs(path)
        en_path = en_root + path[len(tr_root):]
        en = lo_paragraphs(en_path) if os.path.exists(en_path) else {}
        for pid, text in tr.items():
            if not text or not has_letters(text):
                continue
            if en.get(pid) == text:
                continue  # untranslated
            lo_lines.append(text)
    with open(os.path.join(args.out, "lohelp.txt"), "w", encoding="utf-8") as f:
        for line in lo_lines:
            f.write(line + "\n")

    seen = set()
    n = 0
    with open(os.path.join(args.out, "corpus.txt"), "w", encoding="utf-8") as f:
        for line in man_lines + lo_lines:
            if line in seen:
                continue
            seen.add(line)
            f.write(line + "\n")
            n += 1
    words = sum(len(l.split()) for l in seen)
    print(f"manpages: {len(man_lines)} lines, lohelp: {len(lo_lines)} lines, corpus: {n} unique lines, "
          f"{words} words -> {os.path.abspath(args.out)}", file=sys.stderr)


if __name__ == "__main__":
    main()
