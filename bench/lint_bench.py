"""Speed and memory of ``losslint check`` against ruff, Fixit 2 and a bare LibCST parse.

Run (from the repository, with the interpreter that has losslint installed):

    python bench/lint_bench.py                      # both tiers, median of 3 runs
    python bench/lint_bench.py --repeat 1 --tiers ml --json out.json

What it does, in one run:

1. Assembles a pinned corpus under ``--corpus-dir`` (default ``bench/.corpus/``,
   git-ignored) and reuses it on later runs:

   * ML tier: the ``.py`` files of the wheels of transformers, keras and
     scikit-learn, at the versions (and SHA-256) pinned in ``ML_PACKAGES``,
     fetched with ``pip download --no-deps`` and unpacked (wheels, because
     an sdist of scikit-learn would need its whole build toolchain just for
     pip to read its metadata; the ``.py`` files are the same);
   * general tier: the standard library of the interpreter running this
     script (its ``Lib/``), copied, *without* ``site-packages``,
     ``__pycache__`` and the test folders (``test``, ``tests``, ``idle_test``:
     deliberately broken files and Python 2 fixtures measure error paths,
     which the robustness sweep covers, not linting speed).

   ruff and Fixit are installed by this script into a venv of their own
   inside the corpus folder, never into the project's environment.

2. Measures on exactly the same files (passed as an explicit, sorted file list
   from the tier's root, so no tool's own discovery or exclusion rules can
   change the set): losslint cold (``--no-cache``) and warm (after one
   untimed run that fills the cache), ``--jobs 1`` and the default jobs;
   ``libcst.parse_module`` on every file in one process (the floor a naive
   LibCST linter pays) and, for reference, ``ast.parse`` the same way;
   ``ruff check --no-cache --exit-zero`` with its default rules; and Fixit 2
   with the single built-in rule ``NoStaticIfCondition``.  Options losslint
   does not have yet (``--no-cache``, ``--jobs``) are detected from
   ``losslint check --help`` and the rows that need them say ``n/a``.

3. Reports per tier, as a Markdown table on stdout (``--json FILE`` for the
   raw runs too), the median over ``--repeat`` runs of: wall time; CPU time
   (user + sys of the command and all its children); files per second; the
   peak RSS of the largest single process (``/usr/bin/time -v``, or a small
   Python wrapper reading ``getrusage(RUSAGE_CHILDREN)`` where GNU time is
   missing); and the peak of the summed RSS of the whole process tree (a
   process pool's real footprint), sampled from ``/proc`` every 50 ms on
   Linux.  Each is also given as a ratio to ruff on the same tier.

Runs are interleaved (every command once, then again, ...) so that a slow
moment of a shared machine does not land on one tool only, and every file is
read once before the first run so that all tools see a warm page cache.
Fixit is slow: on a tier with more than ``--fixit-max-files`` files it runs on
a deterministic sample (every k-th file of the sorted list) and its times are
scaled up by total bytes / sample bytes; the table says so.  Its memory is
reported as measured on the sample.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import signal
import sysconfig
import tarfile
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

BENCH_DIR = Path(__file__).resolve().parent

# name, version, wheel SHA-256 (checked after download, so the corpus is byte-identical everywhere).
ML_PACKAGES: List[Tuple[str, str, str]] = [
    ("transformers", "5.25.0", "8ca7a96cc329e5a053c9e770711e73d7bd9d77240ff62049fca6d253965cda52"),
    ("keras", "3.15.1", "836460e480930acbd19bb7a17e62f9ecad40e8a9af9a651fc8d0586a96d27e20"),
    ("scikit-learn", "1.9.1", "52a0703bbc07ad27f560fa63fa68e4c54dd735bfbbf65b4dd3c225dc7547b6df"),
]
# The wheel picked for a package with compiled parts (scikit-learn) must not depend on the machine
# running the benchmark, so the target is fixed; pure-Python wheels ignore it.
WHEEL_TARGET = [
    "--only-binary=:all:",
    "--implementation", "cp",
    "--python-version", "3.11",
    "--platform", "manylinux_2_28_x86_64",
]
TOOL_PINS = {"ruff": "0.17.6", "fixit": "2.2.1"}
FIXIT_RULE = "fixit.rules:NoStaticIfCondition"
STDLIB_SKIP_DIRS = {"site-packages", "dist-packages", "__pycache__", "test", "tests", "idle_test"}

TIER_PYPROJECT = """\
# Written by bench/lint_bench.py.  It makes the tier a configuration root of its own, so that
# no pyproject.toml above it (the losslint repository's, for one) changes what is measured.
[tool.losslint]

[tool.fixit]
root = true
disable = ["fixit.rules"]
enable = ["{rule}"]
""".format(rule=FIXIT_RULE)

# Parses every file named in a list file, in this one process; prints how many failed.
PARSE_FLOOR = r"""
import sys
kind = sys.argv[1]
if kind == "libcst":
    import libcst
    parse = libcst.parse_module
else:
    import ast
    parse = ast.parse
failed = 0
with open(sys.argv[2], encoding="utf-8") as listing:
    names = listing.read().splitlines()
for name in names:
    with open(name, "rb") as handle:
        data = handle.read()
    try:
        parse(data)
    except Exception:
        failed += 1
print(f"{len(names)} files, {failed} not parsed")
"""

# Fallback when GNU time is missing: run the command, then report what getrusage says about it.
RUSAGE_WRAPPER = r"""
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
with open(sys.argv[1], "w") as out:
    json.dump({"user": usage.ru_utime, "sys": usage.ru_stime, "maxrss": usage.ru_maxrss * scale}, out)
sys.exit(code)
"""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_checked(argv: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"[bench] command failed ({result.returncode}): {' '.join(argv)}\n{result.stdout}\n{result.stderr}")
    return result


# --------------------------------------------------------------------------- tools venv


def venv_bin(venv: Path, name: str) -> Path:
    if os.name == "nt":  # pragma: no cover - the benchmark targets Linux; kept so it fails clearly elsewhere
        return venv / "Scripts" / (name + ".exe")
    return venv / "bin" / name


def ensure_tools_venv(corpus: Path) -> Path:
    """A venv under the corpus folder holding the pinned ruff and Fixit (created once)."""
    venv = corpus / "tools-venv"
    marker = venv / "bench-pins.json"
    wanted = json.dumps(TOOL_PINS, sort_keys=True)
    if marker.is_file() and marker.read_text() == wanted:
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    log(f"creating {venv} with {', '.join(f'{k}=={v}' for k, v in TOOL_PINS.items())}")
    run_checked([sys.executable, "-m", "venv", str(venv)])
    run_checked([str(venv_bin(venv, "python")), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 *(f"{name}=={version}" for name, version in TOOL_PINS.items())])
    marker.write_text(wanted)
    return venv


def ensure_losslint_snapshot(corpus: Path, ref: str) -> Tuple[Path, str]:
    """losslint as committed at ``ref``, installed (not editable) into a venv of its own.

    An editable install measures whatever the source is at each moment, and losslint's cache keys
    include its modules' modification times, so editing the code during a run changes the code
    measured and empties the cache.  A snapshot holds still.
    """
    repo = BENCH_DIR.parent
    sha = run_checked(["git", "-C", str(repo), "rev-parse", "--verify", ref + "^{commit}"]).stdout.strip()
    home = corpus / "losslint-snapshots" / sha[:12]
    python = venv_bin(home / "venv", "python")
    if (home / "installed").is_file():
        return python, sha
    if home.exists():
        shutil.rmtree(home)
    (home / "src").mkdir(parents=True)
    log(f"installing losslint at {sha[:12]} into {home / 'venv'}")
    archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", sha], stdout=subprocess.PIPE,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if member.name.startswith(("/", "..")) or "/../" in member.name or not (member.isfile() or member.isdir()):
                continue
            tar.extract(member, home / "src")
    run_checked([sys.executable, "-m", "venv", str(home / "venv")])
    run_checked([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(home / "src")])
    (home / "installed").write_text(sha + "\n")
    return python, sha


def describe_checkout() -> str:
    """The commit of the working tree this script sits in, and whether losslint's sources differ from it."""
    repo = str(BENCH_DIR.parent)
    try:
        head = subprocess.run(["git", "-C", repo, "rev-parse", "--short=12", "HEAD"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--", "losslint", "rules", "pyproject.toml"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.strip()
    except OSError:
        return "not a git checkout"
    return f"{head}{' + uncommitted changes' if dirty else ''}" if head else "not a git checkout"


# --------------------------------------------------------------------------- corpus


@dataclass
class Tier:
    name: str
    title: str
    root: Path
    files: List[str]  # relative to root, sorted
    sources: List[str]
    lines: int = 0
    size: int = 0
    sizes: Dict[str, int] = field(default_factory=dict)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_name_matches(filename: str, name: str, version: str) -> bool:
    dist, _, rest = filename.partition("-")
    return dist.lower().replace("_", "-") == name.lower() and rest.startswith(version + "-") and filename.endswith(".whl")


def download_wheel(tools_python: Path, downloads: Path, name: str, version: str, digest: str) -> Path:
    downloads.mkdir(parents=True, exist_ok=True)
    for existing in downloads.iterdir():
        if wheel_name_matches(existing.name, name, version) and sha256(existing) == digest:
            return existing
    log(f"downloading {name}=={version}")
    run_checked([str(tools_python), "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                 "--no-deps", *WHEEL_TARGET, "--dest", str(downloads), f"{name}=={version}"])
    for candidate in downloads.iterdir():
        if wheel_name_matches(candidate.name, name, version):
            actual = sha256(candidate)
            if actual != digest:
                sys.exit(f"[bench] {candidate.name}: SHA-256 {actual}, pinned {digest}")
            return candidate
    sys.exit(f"[bench] pip download did not leave a wheel of {name}=={version} in {downloads}")


def write_marker(root: Path, identity: dict) -> None:
    (root / "pyproject.toml").write_text(TIER_PYPROJECT)
    (root / ".bench-complete.json").write_text(json.dumps(identity, sort_keys=True))


def marker_ok(root: Path, identity: dict) -> bool:
    marker = root / ".bench-complete.json"
    try:
        return json.loads(marker.read_text()) == json.loads(json.dumps(identity, sort_keys=True))
    except (OSError, ValueError):
        return False


def ensure_ml_tier(corpus: Path, tools_python: Path) -> Path:
    root = corpus / "tiers" / "ml"
    identity = {"packages": ML_PACKAGES, "pyproject": TIER_PYPROJECT}
    if marker_ok(root, identity):
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name, version, digest in ML_PACKAGES:
        wheel = download_wheel(tools_python, corpus / "downloads", name, version, digest)
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist()
                       if m.endswith(".py") and ".dist-info/" not in m and ".data/" not in m]
            for member in members:
                target = root / member
                if root.resolve() not in target.resolve().parents:
                    sys.exit(f"[bench] refusing path {member!r} from {wheel.name}")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))
        log(f"unpacked {len(members)} .py files of {wheel.name}")
    write_marker(root, identity)
    return root


def ensure_stdlib_tier(corpus: Path) -> Tuple[Path, str]:
    source = Path(sysconfig.get_paths()["stdlib"]).resolve()
    version = platform.python_version()
    root = corpus / "tiers" / f"stdlib-{platform.python_implementation().lower()}-{version}"
    identity = {"source": str(source), "version": version, "skip": sorted(STDLIB_SKIP_DIRS),
                "pyproject": TIER_PYPROJECT}
    if marker_ok(root, identity):
        return root, version
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    count = 0
    for directory, subdirs, names in os.walk(source):
        subdirs[:] = sorted(d for d in subdirs if d not in STDLIB_SKIP_DIRS
                            and not os.path.islink(os.path.join(directory, d)))
        for name in names:
            path = Path(directory, name)
            if name.endswith(".py") and path.is_file():
                target = root / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                count += 1
    log(f"copied {count} .py files of the standard library from {source}")
    write_marker(root, identity)
    return root, version


def list_tier(name: str, title: str, root: Path, sources: List[str]) -> Tier:
    files = sorted(str(p.relative_to(root).as_posix()) for p in root.rglob("*.py") if p.is_file())
    tier = Tier(name=name, title=title, root=root, files=files, sources=sources)
    for relative in files:
        data = (root / relative).read_bytes()  # also warms the page cache before any timing
        tier.sizes[relative] = len(data)
        tier.size += len(data)
        tier.lines += data.count(b"\n")
    return tier


# --------------------------------------------------------------------------- measuring


def gnu_time() -> Optional[str]:
    path = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    if not path:
        return None
    try:  # BSD time has no -v; only GNU time gives "Maximum resident set size".
        probe = subprocess.run([path, "-v", "true"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError:
        return None
    return path if "Maximum resident set size" in probe.stderr else None


class TreeSampler(threading.Thread):
    """Peak of the summed RSS of every process below ``pid`` (not ``pid`` itself), polled from /proc."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.stopped = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")

    @staticmethod
    def children(pid: int) -> List[int]:
        found: List[int] = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    found.extend(int(c) for c in handle.read().split())
        except (OSError, ValueError):
            pass
        return found

    def sample(self) -> int:
        total, todo = 0, self.children(self.pid)
        while todo:
            pid = todo.pop()
            try:
                with open(f"/proc/{pid}/statm") as handle:
                    total += int(handle.read().split()[1]) * self.page
            except (OSError, ValueError, IndexError):
                continue
            todo.extend(self.children(pid))
        return total

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, self.sample())
            self.stopped.wait(self.interval)


def tree_sampling_available() -> bool:
    return os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")


@dataclass
class Command:
    key: str
    label: str
    argv: List[str]
    cwd: Path
    files: int
    ok_codes: Tuple[int, ...] = (0,)
    scale: float = 1.0  # times are multiplied by this (a sampled run standing for the whole tier)
    note: str = ""
    prime: Optional[List[str]] = None  # run once, untimed, before the first timed run
    unavailable: str = ""  # when set, the row is reported as n/a with this reason


def measure(command: Command, timer: Optional[str], sample_tree: bool, logs: Path, env: Dict[str, str]) -> dict:
    logs.mkdir(parents=True, exist_ok=True)
    handle, usage_file = tempfile.mkstemp(prefix="usage-", dir=logs)
    os.close(handle)
    if timer:
        argv = [timer, "-v", "-o", usage_file, *command.argv]
    else:
        argv = [sys.executable, "-c", RUSAGE_WRAPPER, usage_file, *command.argv]
    out_path, err_path = logs / f"{command.key}.out", logs / f"{command.key}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        # A session of its own, so that an interrupted benchmark takes the command's workers with it.
        process = subprocess.Popen(argv, cwd=command.cwd, stdout=out, stderr=err, env=env, start_new_session=True)
        sampler = TreeSampler(process.pid) if sample_tree else None
        if sampler:
            sampler.start()
        try:
            code = process.wait()
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        wall = time.perf_counter() - start
        if sampler:
            sampler.stopped.set()
            sampler.join()
    text = Path(usage_file).read_text()
    os.unlink(usage_file)
    if code not in command.ok_codes:  # reported in the table, not fatal: one crashing tool should not void the run
        tail = err_path.read_text(errors="replace")[-1500:]
        log(f"{command.label}: exit code {code} (expected {command.ok_codes}); stderr ends with:\n{tail}")
    if timer:
        fields = {}
        for line in text.splitlines():
            key, _, value = line.strip().rpartition(": ")
            fields[key] = value
        user, system = float(fields["User time (seconds)"]), float(fields["System time (seconds)"])
        maxrss = int(fields["Maximum resident set size (kbytes)"]) * 1024
    else:
        usage = json.loads(text)
        user, system, maxrss = usage["user"], usage["sys"], usage["maxrss"]
    return {
        "wall": wall * command.scale,
        "cpu": (user + system) * command.scale,
        "rss": maxrss,
        "tree_rss": sampler.peak if sampler else None,
        "measured_wall": wall,
        "exit_code": code,
        "exit_ok": code in command.ok_codes,
        "problems": problems(command, out_path, err_path, code),
    }


def problems(command: Command, out_path: Path, err_path: Path, code: int) -> List[str]:
    """Errors a tool reported about single files (the run itself still counts)."""
    found: List[str] = []
    if command.key == "fixit":
        found = [line for line in out_path.read_text(errors="replace").splitlines() if ": EXCEPTION: " in line]
    elif command.key.startswith("losslint") and code not in command.ok_codes:
        found = [line for line in err_path.read_text(errors="replace").splitlines() if line.startswith("error")]
    return found[:20]


# --------------------------------------------------------------------------- commands


def losslint_command(python: Path) -> List[str]:
    beside = python.parent / "losslint"
    if beside.is_file():
        return [str(beside)]
    if python == Path(sys.executable) and shutil.which("losslint"):
        return [str(shutil.which("losslint"))]
    return [str(python), "-m", "losslint"]


def losslint_flags(losslint: List[str], env: Dict[str, str]) -> Dict[str, bool]:
    help_env = dict(env, COLUMNS="250", NO_COLOR="1", TERM="dumb")
    result = subprocess.run([*losslint, "check", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=help_env)
    text = result.stdout
    if result.returncode != 0 or "--exit-zero" not in text:
        sys.exit(f"[bench] `{' '.join(losslint)} check --help` failed:\n{text}")
    return {flag: flag in text for flag in ("--no-cache", "--jobs", "--quiet")}


def tool_version(argv: List[str]) -> str:
    try:
        result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError:
        return "?"
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "?"


def fixit_sample(tier: Tier, max_files: int) -> Tuple[List[str], float, str]:
    if max_files <= 0 or len(tier.files) <= max_files:
        return tier.files, 1.0, ""
    stride = math.ceil(len(tier.files) / max_files)
    sample = tier.files[::stride]
    sample_bytes = sum(tier.sizes[f] for f in sample)
    scale = tier.size / sample_bytes
    note = (f"measured on 1 file in {stride} of the sorted list ({len(sample)} of {len(tier.files)}, "
            f"{sample_bytes / 1e6:.1f} of {tier.size / 1e6:.1f} MB), times scaled x{scale:.2f} by bytes; "
            f"memory as measured on the sample")
    return sample, scale, note


def build_commands(tier: Tier, tools: Path, losslint: List[str], flags: Dict[str, bool],
                   fixit_max: int, list_file: Path, python: Path) -> List[Command]:
    files, n = tier.files, len(tier.files)
    quiet = ["--quiet"] if flags["--quiet"] else []
    base = [*losslint, "check", "--exit-zero", *quiet]
    no_cache = ["--no-cache"] if flags["--no-cache"] else []
    cold_note = "" if flags["--no-cache"] else "no --no-cache flag yet: plain `check --exit-zero`"
    commands = [
        Command("losslint-cold", "losslint cold, default jobs", [*base, *no_cache, *files], tier.root, n,
                note="; ".join(x for x in (cold_note, "" if flags["--jobs"] else "no --jobs yet: one process") if x)),
        Command("losslint-cold-j1", "losslint cold, --jobs 1", [*base, *no_cache, "--jobs", "1", *files],
                tier.root, n, unavailable="" if flags["--jobs"] else "n/a (no --jobs yet)"),
        Command("losslint-warm", "losslint warm, default jobs", [*base, *files], tier.root, n,
                prime=[*base, *files], unavailable="" if flags["--no-cache"] else "n/a (no cache yet)"),
        Command("libcst-parse", "libcst.parse_module, 1 process",
                [str(python), "-c", PARSE_FLOOR, "libcst", str(list_file)], tier.root, n),
        Command("ast-parse", "ast.parse, 1 process (reference)",
                [str(python), "-c", PARSE_FLOOR, "ast", str(list_file)], tier.root, n),
        Command("ruff", "ruff check --no-cache (default rules)",
                [str(venv_bin(tools, "ruff")), "check", "--no-cache", "--exit-zero", "--isolated", *files],
                tier.root, n),
    ]
    sample, scale, note = fixit_sample(tier, fixit_max)
    # Fixit runs from a neutral folder on absolute paths: its worker processes are started with
    # "spawn", whose bootstrap puts the current folder on sys.path, and in the standard-library tier
    # that would make the workers import the corpus's copy of the standard library.  Its exit code
    # is a bit set: 1 = lint errors found, 2 = a file raised an exception (counted after the run).
    commands.append(Command("fixit", "Fixit 2, 1 rule (NoStaticIfCondition)",
                            [str(venv_bin(tools, "fixit")), "lint", *(str(tier.root / f) for f in sample)],
                            list_file.parent, n, ok_codes=(0, 1, 2, 3), scale=scale, note=note))
    return commands


def check_ruff_sees_all(tier: Tier, tools: Path, env: Dict[str, str]) -> None:
    """ruff never silently skips a file named on the command line, but make sure."""
    result = subprocess.run([str(venv_bin(tools, "ruff")), "check", "--isolated", "--show-files", *tier.files],
                            cwd=tier.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    shown = [line for line in result.stdout.splitlines() if line.strip().endswith(".py")]
    if len(shown) != len(tier.files):
        sys.exit(f"[bench] ruff would check {len(shown)} of the {len(tier.files)} files of {tier.name}")


# --------------------------------------------------------------------------- report


def fmt(value: Optional[float], digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def ratio(value: Optional[float], reference: Optional[float]) -> str:
    if value is None or not reference:
        return "-"
    return f"{value / reference:.2f}x" if value / reference < 100 else f"{value / reference:.0f}x"


def summarise(rows: List[dict]) -> None:
    for row in rows:
        runs = row["runs"]
        if not runs:
            continue
        median = {key: statistics.median(r[key] for r in runs) for key in ("wall", "cpu", "rss")}
        trees = [r["tree_rss"] for r in runs if r["tree_rss"] is not None]
        median["tree_rss"] = statistics.median(trees) if trees else None
        median["files_per_s"] = row["files"] / median["wall"]
        row["median"] = median


def markdown(tier_result: dict) -> str:
    rows = tier_result["rows"]
    ruff = next(r for r in rows if r["key"] == "ruff").get("median")
    out = [f"### {tier_result['title']}", "",
           f"{tier_result['files']:,} files, {tier_result['lines']:,} lines, "
           f"{tier_result['bytes'] / 1e6:.1f} MB ({'; '.join(tier_result['sources'])}); "
           f"median of {tier_result['repeat']} run(s).", "",
           "| run | wall s | CPU s | files/s | peak RSS MB (largest process) | peak RSS MB (all processes) "
           "| wall / ruff | CPU / ruff | RSS / ruff |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for row in rows:
        label = row["label"]
        if row["note"]:
            notes.append(row["note"])
            label += f" [{len(notes)}]"
        if row["unavailable"]:
            out.append(f"| {label} | {row['unavailable']} | | | | | | | |")
            continue
        m = row["median"]
        bad = sorted({r["exit_code"] for r in row["runs"] if not r["exit_ok"]})
        if bad:
            label += f" (**exit code {', '.join(map(str, bad))}**)"
        reported = row["runs"][-1]["problems"]
        if reported:
            notes.append(f"{row['label']}: {len(reported)} error(s) reported, e.g. `{reported[0][:200]}`")
            label += f" [{len(notes)}]"
        tree = m["tree_rss"] / 1e6 if m["tree_rss"] is not None else None
        out.append(
            f"| {label} | {fmt(m['wall'])} | {fmt(m['cpu'])} | {fmt(m['files_per_s'], 0)} | {fmt(m['rss'] / 1e6, 0)} "
            f"| {fmt(tree, 0)} | {ratio(m['wall'], ruff and ruff['wall'])} | {ratio(m['cpu'], ruff and ruff['cpu'])} "
            f"| {ratio(m['rss'], ruff and ruff['rss'])} |")
    if notes:
        out.append("")
        out.extend(f"[{i}] {note}" for i, note in enumerate(notes, 1))
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus-dir", type=Path, default=BENCH_DIR / ".corpus",
                        help="where the corpus, the tools' venv and the run logs live (default: bench/.corpus)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of every command; medians are reported")
    parser.add_argument("--tiers", default="ml,stdlib", help="comma-separated: ml, stdlib (default: both)")
    parser.add_argument("--fixit-max-files", type=int, default=600,
                        help="run Fixit on a deterministic sample of this many files and scale (0: all files)")
    parser.add_argument("--json", type=Path, help="also write every run and the medians to this file")
    parser.add_argument("--no-tree-rss", action="store_true", help="do not sample the process tree's summed RSS")
    parser.add_argument("--losslint-ref", metavar="REF",
                        help="measure losslint as committed at this git ref (installed into its own venv under the "
                             "corpus folder) instead of the losslint of the running interpreter")
    args = parser.parse_args(argv)
    tiers_wanted = [t.strip() for t in args.tiers.split(",") if t.strip()]
    if not set(tiers_wanted) <= {"ml", "stdlib"} or args.repeat < 1:
        parser.error("--tiers takes ml and/or stdlib; --repeat must be at least 1")

    corpus = args.corpus_dir.resolve()
    corpus.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE", "PYTHONSTARTUP")}
    env["NO_COLOR"] = "1"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("[bench] terminated"))
    tools = ensure_tools_venv(corpus)
    if args.losslint_ref:
        python, sha = ensure_losslint_snapshot(corpus, args.losslint_ref)
        origin = f"commit {sha[:12]}, installed from a snapshot"
    else:
        python, origin = Path(sys.executable), f"the running interpreter's; checkout {describe_checkout()}"
        if subprocess.run([str(python), "-c", "import libcst, losslint"], stderr=subprocess.DEVNULL).returncode:
            sys.exit("[bench] run this with the interpreter that has losslint (and so libcst) installed, "
                     "or pass --losslint-ref")
    losslint = losslint_command(python)
    flags = losslint_flags(losslint, env)
    timer = gnu_time()
    sample_tree = not args.no_tree_rss and tree_sampling_available()
    environment = {
        "python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
        "losslint": tool_version([*losslint, "--version"]), "losslint_origin": origin, "losslint_flags": flags,
        "ruff": tool_version([str(venv_bin(tools, "ruff")), "--version"]),
        "fixit": tool_version([str(venv_bin(tools, "fixit")), "--version"]),
        "libcst": tool_version([str(python), "-c", "import importlib.metadata as m; print(m.version('libcst'))"]),
        "fixit_libcst": tool_version([str(venv_bin(tools, "python")), "-c",
                                      "import importlib.metadata as m; print(m.version('libcst'))"]),
        "timer": timer or "python getrusage wrapper", "tree_rss": "sampled from /proc every 50 ms" if sample_tree else None,
        "repeat": args.repeat,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }
    log(f"environment: {environment}")

    tiers: List[Tier] = []
    for name in tiers_wanted:
        if name == "ml":
            root = ensure_ml_tier(corpus, venv_bin(tools, "python"))
            tiers.append(list_tier("ml", "ML tier", root, [f"{n} {v}" for n, v, _ in ML_PACKAGES]))
        else:
            root, version = ensure_stdlib_tier(corpus)
            tiers.append(list_tier("stdlib", "General tier (Python standard library)", root,
                                   [f"CPython {version} Lib/ without site-packages and test folders"]))

    results = {"environment": environment, "tiers": {}}
    for tier in tiers:
        log(f"{tier.name}: {len(tier.files)} files, {tier.lines} lines")
        check_ruff_sees_all(tier, tools, env)
        list_file = corpus / "runs" / f"{tier.name}-files.txt"
        list_file.parent.mkdir(parents=True, exist_ok=True)
        list_file.write_text("\n".join(tier.files) + "\n")
        commands = build_commands(tier, tools, losslint, flags, args.fixit_max_files, list_file, python)
        rows = [{"key": c.key, "label": c.label, "argv_head": c.argv[:8], "files": c.files, "note": c.note,
                 "unavailable": c.unavailable, "scale": c.scale, "runs": []} for c in commands]
        logs = corpus / "runs" / tier.name
        for command in commands:
            if command.prime and not command.unavailable:
                shutil.rmtree(tier.root / ".losslint_cache", ignore_errors=True)
                log(f"{tier.name}: priming the cache for {command.label}")
                subprocess.run(command.prime, cwd=tier.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env)
        for attempt in range(1, args.repeat + 1):
            for command, row in zip(commands, rows):
                if command.unavailable:
                    continue
                log(f"{tier.name} run {attempt}/{args.repeat}: {command.label}")
                run = measure(command, timer, sample_tree, logs, env)
                log(f"  wall {run['wall']:.2f}s (measured {run['measured_wall']:.2f}s), cpu {run['cpu']:.2f}s, "
                    f"rss {run['rss'] / 1e6:.0f} MB, tree {(run['tree_rss'] or 0) / 1e6:.0f} MB")
                row["runs"].append(run)
        summarise(rows)
        results["tiers"][tier.name] = {"title": tier.title, "files": len(tier.files), "lines": tier.lines,
                                       "bytes": tier.size, "sources": tier.sources, "repeat": args.repeat,
                                       "rows": rows}

    print(f"## losslint benchmark ({time.strftime('%Y-%m-%d')})\n")
    print(f"{environment['cpus']} CPUs, Python {environment['python']}, {environment['platform']}; "
          f"{environment['losslint']} ({environment['losslint_origin']}), ruff {environment['ruff'].split()[-1]}, "
          f"Fixit {environment['fixit'].split()[-1]} (libcst {environment['fixit_libcst']}), "
          f"libcst {environment['libcst']}; time and peak RSS of the largest process from {environment['timer']}"
          + (f", all-process RSS {environment['tree_rss']}" if environment["tree_rss"] else "")
          + (f"; load average {environment['load_average_at_start']} when the run started"
             if environment["load_average_at_start"] else "") + ".\n")
    for name in results["tiers"]:
        print(markdown(results["tiers"][name]))
        print()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
