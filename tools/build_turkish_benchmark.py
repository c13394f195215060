#!/usr/bin/python3
"""Builds embedlab's offline Turkish benchmark under data/benchmark/ from Debian packages.

Run with /usr/bin/python3 (standard library only). It installs nothing: when a source package is
missing it prints the apt-get line and builds the tasks it can. The extracted text is never committed
(data/ is git-ignored). See docs/evaluation.md for the tasks, formats and splits.

Tasks (BENCHMARK_VERSION below names the whole set; change it whenever a rule changes):
  bitext-help/      EN–TR LibreOffice help paragraphs paired by (file, paragraph id)   → {dev,test}.tsv  en<TAB>tr
  bitext-catalogs/  EN–TR gettext catalog strings (msgid → msgstr, short UI strings)    → {dev,test}.tsv  en<TAB>tr
  lm/               Turkish running text (LibreOffice help TR + manpages-tr)           → train.txt, heldout.txt
  words/            freedict English→Turkish word/phrase pairs                          → {train,test}.tsv en<TAB>tr
Splits are fixed by hashing a stable id: sha256(BENCHMARK_VERSION + ":" + task + ":" + id), first 8 bytes
as an integer, modulo 100 — so they never depend on file order, machine or run.
"""
import argparse
import gzip
import hashlib
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

BENCHMARK_VERSION = "tr-bench-1"
HELP_ROOT = "/usr/share/libreoffice/help"
MAN_TR = "/usr/share/man/tr"
FREEDICT = "/usr/share/dictd/freedict-eng-tur"
MO_DIRS = ["/usr/share/locale/tr/LC_MESSAGES", "/usr/lib/libreoffice/program/resource/tr/LC_MESSAGES"]
PACKAGES = ["libreoffice-help-tr", "libreoffice-help-en-us", "dict-freedict-eng-tur", "manpages-tr", "gettext"]


def bucket(task, key):
    h = hashlib.sha256(f"{BENCHMARK_VERSION}:{task}:{key}".encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big") % 100


def clean(s):
    s = s.replace("\t", " ").replace("\r", " ").replace("\n", " ").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", s).strip()


# ---------------------------------------------------------------------------------------------
# LibreOffice help: paragraphs with ids (par_id…, hd_id…, bm_id…) identical in both languages

ID_RE = re.compile(r"^(par|hd|bm)_id")


class HelpParagraphs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = {}
        self.stack = []  # [tag, id or None, text parts or None]

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "meta", "link", "input", "hr"):
            return
        pid = dict(attrs).get("id") or ""
        capture = bool(ID_RE.match(pid)) and not any(s[1] for s in self.stack)
        self.stack.append([tag, pid if capture else None, [] if capture else None])

    def handle_endtag(self, tag):
        while self.stack:
            t, pid, parts = self.stack.pop()
            if pid:
                text = clean("".join(parts))
                if text and pid not in self.out:
                    self.out[pid] = text
            if t == tag:
                break

    def handle_data(self, data):
        for s in self.stack:
            if s[1]:
                s[2].append(data)


def help_paragraphs(lang):
    root = os.path.join(HELP_ROOT, lang, "text")
    result = {}
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith(".html"):
                continue
            path = os.path.join(d, f)
            p = HelpParagraphs()
            with open(path, encoding="utf-8", errors="replace") as fh:
                p.feed(fh.read())
            rel = os.path.relpath(path, root)
            for pid, text in p.out.items():
                result[(rel, pid)] = text
    return result


# ---------------------------------------------------------------------------------------------
# gettext .mo catalogs

def read_mo(path):
    data = open(path, "rb").read()
    if len(data) < 28:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if end is None:
        return []
    _, n, orig, trans = struct.unpack(end + "4I", data[4:20])
    pairs = []
    for i in range(n):
        ol, oo = struct.unpack(end + "2I", data[orig + 8 * i: orig + 8 * i + 8])
        tl, to = struct.unpack(end + "2I", data[trans + 8 * i: trans + 8 * i + 8])
        msgid = data[oo: oo + ol].decode("utf-8", "replace")
        msgstr = data[to: to + tl].decode("utf-8", "replace")
        if not msgid:
            continue  # the header
        msgid = msgid.split("\x04")[-1].split("\x00")[0]  # drop the context, keep the singular
        msgstr = msgstr.split("\x00")[0]
        pairs.append((msgid, msgstr))
    return pairs


def strip_accelerators(s):
    s = s.replace("~", "")
    s = re.sub(r"(?:^|(?<=\s))_(?=\w)", "", s)  # GTK accelerators: "_Open", "Save _As"
    return s.replace("&&", "\0").replace("&", "").replace("\0", "&")


# ---------------------------------------------------------------------------------------------
# manpages-tr: roff stripped to running text

ROFF_ESC = re.compile(r"\\f(\[[^\]]*\]|\(..|.)|\\s[+-]?\d|\\\(..|\\\[[^\]]*\]|\\[&|^%:c]|\\\*(\(..|\[[^\]]*\]|.)")


def man_paragraphs(path):
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") if path.endswith(".gz") else open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    paras, cur = [], []
    for line in lines:
        if line.startswith((".", "'")):
            m = re.match(r"^[.'](SH|SS|PP|P|LP|TP|IP|br|sp|HP|RS|RE)\b(.*)", line)
            if m:
                if cur:
                    paras.append(" ".join(cur))
                    cur = []
                rest = m.group(2).strip().strip('"')
                if m.group(1) in ("IP",) and rest:
                    cur.append(rest)
            else:
                m = re.match(r"^[.'](B|I|BI|BR|IR|RB|RI|IB)\s+(.*)", line)
                if m:
                    cur.append(m.group(2).replace('"', ""))
            continue
        text = ROFF_ESC.sub("", line).replace("\\-", "-").replace("\\e", "\\").replace("\\ ", " ")
        if text.strip():
            cur.append(text.strip())
        elif cur:
            paras.append(" ".join(cur))
            cur = []
    if cur:
        paras.append(" ".join(cur))
    return [clean(p) for p in paras if len(clean(p)) >= 20]


# ---------------------------------------------------------------------------------------------
# freedict dictd files

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64num(s):
    n = 0
    for c in s:
        n = n * 64 + B64.index(c)
    return n


def freedict_pairs():
    index = FREEDICT + ".index"
    data_path = FREEDICT + ".dict.dz"
    raw = open(data_path, "rb").read()
    text = zlib.decompress(raw, 16 + zlib.MAX_WBITS)  # dictzip is gzip-compatible
    pairs = []
    for line in open(index, encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3 or parts[0].startswith("00database"):
            continue
        head = parts[0]
        entry = text[b64num(parts[1]): b64num(parts[1]) + b64num(parts[2])].decode("utf-8", "replace")
        for l in entry.splitlines()[1:]:
            l = re.sub(r"^\s*\d+\.\s*", "", l.strip())
            if not l or l.startswith(("Note:", "see:", "Synonym", "<")):
                continue
            for t in re.split(r"[,;]", l):
                t = clean(re.sub(r"\(.*?\)|\[.*?\]", "", t))
                if t and t.lower() != head.lower():
                    pairs.append((head, t))
    return sorted(set(pairs))


# ---------------------------------------------------------------------------------------------

def write_tsv(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for l in lines:
            f.write(l + "\n")


def package_versions():
    out = {}
    for p in PACKAGES + ["libreoffice-l10n-tr"]:
        try:
            v = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", p], capture_output=True, text=True)
            out[p] = v.stdout.strip() if v.returncode == 0 and v.stdout.strip() else None
        except OSError:
            out[p] = None
    return out


def unique_pairs(pairs):
    """Keeps the first pair (in id order) for every English text and every Turkish text, so that a
    mining task has exactly one gold target per source."""
    seen_en, seen_tr, out = set(), set(), []
    for key, en, tr in sorted(pairs):
        if en in seen_en or tr in seen_tr:
            continue
        seen_en.add(en)
        seen_tr.add(tr)
        out.append((key, en, tr))
    return out


def split3(task, rows, dev=10, test=20):
    """bucket < dev → dev, < test → test, else train."""
    s = {"dev": [], "test": [], "train": []}
    for key, *cols in rows:
        b = bucket(task, key)
        s["dev" if b < dev else "test" if b < test else "train"].append(tuple(cols))
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "benchmark"))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    missing, tasks, files = [], {}, {}

    have_help = os.path.isdir(os.path.join(HELP_ROOT, "tr", "text")) and os.path.isdir(os.path.join(HELP_ROOT, "en-US", "text"))
    if not os.path.isdir(os.path.join(HELP_ROOT, "tr", "text")):
        missing.append("libreoffice-help-tr")
    if not os.path.isdir(os.path.join(HELP_ROOT, "en-US", "text")):
        missing.append("libreoffice-help-en-us")
    if not os.path.exists(FREEDICT + ".dict.dz"):
        missing.append("dict-freedict-eng-tur")
    if not os.path.isdir(MAN_TR):
        missing.append("manpages-tr")
    if not shutil.which("msgunfmt"):
        missing.append("gettext")  # not needed by this script (it parses .mo itself); for inspecting catalogs

    tr_help, en_help = {}, {}
    if have_help:
        print("reading LibreOffice help (tr, en-US)...", file=sys.stderr)
        tr_help = help_paragraphs("tr")
        en_help = help_paragraphs("en-US")
        pairs = []
        for key, tr in tr_help.items():
            en = en_help.get(key)
            if en and tr != en and len(en) >= 3 and len(tr) >= 3:
                pairs.append((f"{key[0]}#{key[1]}", en, tr))
        rows = unique_pairs(pairs)
        sp = split3("bitext-help", rows)
        os.makedirs(os.path.join(out, "bitext-help"), exist_ok=True)
        for name in ("dev", "test"):
            p = os.path.join(out, "bitext-help", f"{name}.tsv")
            write_tsv(p, sp[name])
            files[os.path.relpath(p, out)] = len(sp[name])
        tasks["bitext-help"] = {"pairs": len(rows), "dev": len(sp["dev"]), "test": len(sp["test"]),
                                "unused_train": len(sp["train"]),
                                "source": "LibreOffice help HTML, paragraphs paired by (file, id); TR == EN dropped; "
                                          "one pair per distinct EN and per distinct TR text"}

    mo_files = [os.path.join(d, f) for d in MO_DIRS if os.path.isdir(d) for f in sorted(os.listdir(d)) if f.endswith(".mo")]
    if mo_files:
        print(f"reading {len(mo_files)} gettext catalogs...", file=sys.stderr)
        pairs = []
        for mo in mo_files:
            for en, tr in read_mo(mo):
                en2, tr2 = clean(strip_accelerators(en)), clean(strip_accelerators(tr))
                if en2 and tr2 and en2 != tr2 and len(en2) >= 3 and "%" not in en2 and "{" not in en2:
                    pairs.append((f"{os.path.basename(mo)}#{en2}", en2, tr2))
        rows = unique_pairs(pairs)
        sp = split3("bitext-catalogs", rows, dev=5, test=10)
        os.makedirs(os.path.join(out, "bitext-catalogs"), exist_ok=True)
        for name in ("dev", "test"):
            p = os.path.join(out, "bitext-catalogs", f"{name}.tsv")
            write_tsv(p, sp[name])
            files[os.path.relpath(p, out)] = len(sp[name])
        tasks["bitext-catalogs"] = {"pairs": len(rows), "dev": len(sp["dev"]), "test": len(sp["test"]),
                                    "catalogs": len(mo_files),
                                    "source": "gettext .mo msgid → msgstr (context and plural forms dropped, "
                                              "accelerators ~ _ & removed, format strings skipped); "
                                              "one pair per distinct EN and TR string"}

    # Turkish running text: documents are help files and man pages; whole documents go to one side
    docs = {}
    for (rel, pid), text in sorted(tr_help.items()):
        # only translated running text: untranslated (TR == EN) and short paragraphs are left out
        if en_help.get((rel, pid)) == text or len(text) < 20 or len(text.split()) < 3:
            continue
        docs.setdefault("help:" + rel, []).append(text)
    if os.path.isdir(MAN_TR):
        print("reading manpages-tr...", file=sys.stderr)
        for d, _, fs in os.walk(MAN_TR):
            for f in sorted(fs):
                try:
                    paras = man_paragraphs(os.path.join(d, f))
                except (OSError, EOFError):
                    continue
                if paras:
                    docs["man:" + os.path.relpath(os.path.join(d, f), MAN_TR)] = paras
    if docs:
        train, held = [], []
        for key in sorted(docs):
            (held if bucket("lm", key) < 10 else train).extend(docs[key])
        os.makedirs(os.path.join(out, "lm"), exist_ok=True)
        for name, lines in (("train.txt", train), ("heldout.txt", held)):
            p = os.path.join(out, "lm", name)
            write_lines(p, lines)
            files[os.path.relpath(p, out)] = len(lines)
        tasks["lm"] = {"documents": len(docs), "train_lines": len(train), "heldout_lines": len(held),
                       "heldout_words": sum(len(l.split()) for l in held),
                       "source": "translated LibreOffice help TR paragraphs (TR != EN, >= 20 chars, >= 3 words) + "
                                 "manpages-tr (roff stripped); one paragraph per line; whole documents are held out (10%)"}

    if os.path.exists(FREEDICT + ".dict.dz"):
        print("reading freedict eng-tur...", file=sys.stderr)
        pairs = freedict_pairs()
        tr_, te_ = [], []
        for en, tr in pairs:
            (te_ if bucket("words", en) < 10 else tr_).append((en, tr))
        os.makedirs(os.path.join(out, "words"), exist_ok=True)
        for name, rows in (("train.tsv", tr_), ("test.tsv", te_)):
            p = os.path.join(out, "words", name)
            write_tsv(p, rows)
            files[os.path.relpath(p, out)] = len(rows)
        tasks["words"] = {"pairs": len(pairs), "train": len(tr_), "test": len(te_),
                          "source": "freedict-eng-tur: headword → each sense's comma/semicolon-separated "
                                    "translations; split by English headword (10% test)"}

    manifest = {
        "benchmark_version": BENCHMARK_VERSION,
        "split_rule": "bucket = int(sha256(version:task:id)[:8]) % 100; bitext-help dev <10, test <20; "
                      "bitext-catalogs dev <5, test <10; lm heldout <10 (by document); words test <10 (by headword)",
        "packages": package_versions(),
        "missing_packages": missing,
        "tasks": tasks,
        "files": {rel: {"lines": n, "sha256": hashlib.sha256(open(os.path.join(out, rel), "rb").read()).hexdigest()}
                  for rel, n in sorted(files.items())},
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=2)
        f.write("\n")
    if missing:
        print("some sources are missing; install them with:\n  sudo apt-get install " + " ".join(sorted(set(missing))),
              file=sys.stderr)
    print(json.dumps({"out": out, "version": BENCHMARK_VERSION, "tasks": {k: {kk: vv for kk, vv in v.items() if kk != "source"}
                                                                            for k, v in tasks.items()},
                      "missing_packages": missing}, ensure_ascii=False))
    return 0 if tasks else 1


if __name__ == "__main__":
    sys.exit(main())
