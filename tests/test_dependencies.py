"""One-way dependencies between the package's layers, read from the source with ``ast``.

The layers (folder -> import name: ``models/`` -> ``amigos_emo.models``, ``tfds_builders/`` ->
``amigos_emo.tfds_builders``, ``tuning/`` -> ``amigos_emo.tuning``, ``amigos_emo/`` as is):

- **core**: ``amigos_emo.signal``, ``.constants``, ``.io``, ``._checks``, ``._logging``,
  ``.preprocessing_spec``, ``.synthetic``. Imports only core (and third-party libraries).
- **models**: imports only core and models.
- **builders**: imports only core and builders.
- **training**: imports nothing of tuning.

Every import counts: module-level, inside functions, relative, and ``importlib.import_module``
with a literal (or f-string with a literal prefix) name. Test code is exempt: files under
``tests/``, ``*_test.py``, ``test_*.py`` and ``conftest*.py``. Only tests and ``bench/`` may
mention the team's shared data folder (``../shared``, ``shared/data``).

Two more checks keep the clone self-contained: no text file names a machine's absolute paths
(a venv interpreter, the machine's work folder) or the team's notes file, and every builder README marks as
``(default)`` exactly the config its builder's ``DEFAULT_BUILDER_CONFIG_NAME`` names.
"""

from __future__ import annotations

import ast
import dataclasses
import pathlib
import re

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]

# Folder at the repository root -> the import name it installs as (setup.py's package_dir).
FOLDER_TO_PACKAGE = {
    "amigos_emo": "amigos_emo",
    "models": "amigos_emo.models",
    "tfds_builders": "amigos_emo.tfds_builders",
    "tuning": "amigos_emo.tuning",
}

CORE = tuple(
    f"amigos_emo.{name}"
    for name in (
        "signal",
        "constants",
        "io",
        "_checks",
        "_logging",
        "preprocessing_spec",
        "synthetic",
    )
)
MODELS = ("amigos_emo.models",)
BUILDERS = ("amigos_emo.tfds_builders",)
TRAINING = ("amigos_emo.training",)
TUNING = ("amigos_emo.tuning",)


@dataclasses.dataclass(frozen=True)
class Rule:
    """Modules under ``sources`` may import from ``amigos_emo`` only what ``allowed`` lists
    (when given), and never what ``forbidden`` lists."""

    name: str
    sources: tuple[str, ...]
    allowed: tuple[str, ...] | None = None
    forbidden: tuple[str, ...] = ()


RULES = (
    Rule("core imports only core", CORE, allowed=CORE),
    Rule("models import only core and models", MODELS, allowed=CORE + MODELS),
    Rule("builders import only core and builders", BUILDERS, allowed=CORE + BUILDERS),
    Rule("training imports nothing of tuning", TRAINING, forbidden=TUNING),
)

# Edges that break a rule today, each with the reason it is tolerated: (file, imported module).
# Empty: today's tree keeps every rule.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()

SHARED_DATA = re.compile(r"\.\./shared|shared/data")
# Files outside tests/ and bench/ that mention the shared data folder today, with the reason.
KNOWN_SHARED_MENTIONS = set()  # no exceptions: package code never names the shared data


@dataclasses.dataclass(frozen=True)
class Import:
    """One import statement's target: ``file`` (relative to the repository), ``line``, ``module``."""

    file: str
    line: int
    module: str


def _under(module, prefixes):
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def is_test_file(relative):
    """Whether ``relative`` (a path relative to the repository) is test code, exempt here."""
    path = pathlib.PurePosixPath(relative)
    return (
        path.parts[0] == "tests"
        or path.name.endswith("_test.py")
        or path.name.startswith("test_")
        or path.name.startswith("conftest")
    )


def module_name(relative):
    """The import name of the source file ``relative``, e.g. ``models/a/b.py`` -> ``amigos_emo.models.a.b``."""
    parts = list(pathlib.PurePosixPath(relative).with_suffix("").parts)
    parts[0] = FOLDER_TO_PACKAGE[parts[0]]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _literal_prefix(node):
    """The module name (or its literal f-string prefix) passed to ``importlib.import_module``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value.rstrip(".")
    return None


def imports_of(source, relative):
    """Every module ``source`` (the text of file ``relative``) imports, at any depth.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule); relative
    imports are resolved against the file's package.
    """
    tree = ast.parse(source, filename=relative)
    own = module_name(relative)
    package = own if relative.endswith("__init__.py") else own.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (
                    isinstance(node.func, ast.Name)
                    and node.func.id in ("import_module", "__import__")
                )
            )
        ):
            prefix = _literal_prefix(node.args[0])
            names = [prefix] if prefix else []
        found.extend(Import(relative, node.lineno, name) for name in names if name)
    return found


def source_files(root):
    """Non-test ``.py`` files of the four package folders under ``root``, relative paths."""
    files = []
    for folder in FOLDER_TO_PACKAGE:
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if not is_test_file(relative):
                files.append(relative)
    return files


def violations(root, rules=RULES, exceptions=frozenset()):
    """``"file:line: imports module (rule)"`` for every import under ``root`` breaking a rule."""
    found = []
    for relative in source_files(root):
        own = module_name(relative)
        applying = [rule for rule in rules if _under(own, rule.sources)]
        if not applying:
            continue
        for item in imports_of((root / relative).read_text(encoding="utf-8"), relative):
            if not _under(item.module, ("amigos_emo",)) or (relative, item.module) in exceptions:
                continue
            for rule in applying:
                bad = _under(item.module, rule.forbidden) or (
                    rule.allowed is not None
                    and item.module != "amigos_emo"
                    and not _under(item.module, rule.allowed)
                )
                if bad:
                    found.append(f"{item.file}:{item.line}: imports {item.module} ({rule.name})")
    return sorted(set(found))


def shared_data_mentions(root):
    """``"file:line: text"`` for each non-test, non-bench ``.py`` file naming the shared data."""
    found = []
    for relative in source_files(root):
        for number, text in enumerate((root / relative).read_text("utf-8").splitlines(), 1):
            if SHARED_DATA.search(text):
                found.append((relative, f"{relative}:{number}: {text.strip()}"))
    return found


# === Today's tree ===


def test_one_way_dependencies_hold():
    found = violations(REPO, exceptions=KNOWN_EXCEPTIONS)
    assert not found, "one-way dependency broken:\n" + "\n".join(found)


def test_known_exceptions_are_still_needed():
    # An exception that no longer matches anything must be removed, so the rule tightens.
    everything = violations(REPO)
    for file, module in KNOWN_EXCEPTIONS:
        assert any(v.startswith(f"{file}:") and f" imports {module} " in v for v in everything), (
            f"KNOWN_EXCEPTIONS lists ({file}, {module}) but that import is gone: remove the entry"
        )


def test_only_tests_and_bench_mention_the_shared_data():
    found = [line for file, line in shared_data_mentions(REPO) if file not in KNOWN_SHARED_MENTIONS]
    assert not found, (
        "package code must not name the team's shared data folder (only tests/ and bench/ may):\n"
        + "\n".join(found)
    )


def test_known_shared_mentions_are_still_needed():
    files = {file for file, _ in shared_data_mentions(REPO)}
    stale = KNOWN_SHARED_MENTIONS - files
    assert not stale, f"KNOWN_SHARED_MENTIONS lists files that no longer mention it: {stale}"


def test_every_package_folder_is_scanned():
    files = source_files(REPO)
    for folder in FOLDER_TO_PACKAGE:
        assert any(file.startswith(folder + "/") for file in files), folder
    assert "amigos_emo/signal/windows.py" in files
    assert not any(is_test_file(file) for file in files)


# === The checker itself, on a tiny tree written in tmp_path ===


def _tree(root, files):
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in FOLDER_TO_PACKAGE:
        (root / folder).mkdir(exist_ok=True)


@pytest.mark.parametrize(
    ("relative", "text", "expected"),
    [
        (
            "amigos_emo/signal/bad.py",
            "import numpy\n\ndef f():\n    from amigos_emo.models import registry\n",
            "amigos_emo/signal/bad.py:4: imports amigos_emo.models (core imports only core)",
        ),
        (
            "amigos_emo/io/bad.py",
            "from ..training import runner\n",
            "amigos_emo/io/bad.py:1: imports amigos_emo.training (core imports only core)",
        ),
        (
            "models/family/family_backbone.py",
            "import amigos_emo.tuning.search\n",
            "models/family/family_backbone.py:1: imports amigos_emo.tuning.search "
            "(models import only core and models)",
        ),
        (
            "tfds_builders/corpus_x/corpus_x_dataset_builder.py",
            "import importlib\nimportlib.import_module(f'amigos_emo.models.{name}')\n",
            "tfds_builders/corpus_x/corpus_x_dataset_builder.py:2: imports amigos_emo.models "
            "(builders import only core and builders)",
        ),
        (
            "amigos_emo/training/bad.py",
            "def f():\n    from amigos_emo.tuning import HYPERMODELS\n",
            "amigos_emo/training/bad.py:2: imports amigos_emo.tuning "
            "(training imports nothing of tuning)",
        ),
    ],
)
def test_checker_finds_each_kind_of_edge(tmp_path, relative, text, expected):
    _tree(tmp_path, {relative: text})
    assert expected in violations(tmp_path)


def test_checker_accepts_allowed_edges_and_exempts_tests(tmp_path):
    _tree(
        tmp_path,
        {
            "amigos_emo/synthetic/ok.py": "from amigos_emo.signal import windows\nimport amigos_emo\n",
            "models/family/family_backbone.py": "from .family_presets import PRESETS\n",
            "models/family/family_backbone_test.py": "from amigos_emo.training import runner\n",
            "tfds_builders/corpus_x/test_x.py": "import amigos_emo.models\n",
            "tuning/conftest.py": "import amigos_emo.tfds_builders\n",
            "amigos_emo/training/ok.py": "from amigos_emo.models import get_model_entry\n",
            "amigos_emo/training/grown.py": "import amigos_emo.tuning\n",
        },
    )
    assert (
        violations(tmp_path, exceptions={("amigos_emo/training/grown.py", "amigos_emo.tuning")})
        == []
    )


def test_relative_imports_resolve_against_the_package():
    found = imports_of("from ..io import errors\nfrom . import x\n", "amigos_emo/signal/a.py")
    assert [item.module for item in found] == [
        "amigos_emo.io",
        "amigos_emo.io.errors",
        "amigos_emo.signal",
        "amigos_emo.signal.x",
    ]
    package_init = imports_of("from .b import c\n", "models/family/__init__.py")
    assert package_init[0].module == "amigos_emo.models.family.b"


def test_shared_data_mentions_are_found(tmp_path):
    _tree(
        tmp_path,
        {
            "amigos_emo/io/reader.py": 'ROOT = "../shared/data"\n',
            "tests/io/test_reader.py": 'ROOT = "../shared/data"\n',
            "tfds_builders/x/x_dataset_builder_test.py": 'ROOT = "../shared/data"\n',
        },
    )
    assert [line for _, line in shared_data_mentions(tmp_path)] == [
        'amigos_emo/io/reader.py:1: ROOT = "../shared/data"'
    ]


# === Nothing refers outside the clone ===

# Text a user's clone cannot resolve: a machine's absolute paths, the team's notes file.
OUTSIDE = re.compile("/" r"work/|\bFORMATS\.md\b|(?<![.\w])/[\w./-]*/bin/(?:python|pytest|ruff)")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".bib", ".tsv", ".json", ".yaml", ".yml"}
SKIPPED_DIRS = {".git", ".venv", "venv", "build", "dist", ".pytest_cache", ".ruff_cache"}


def _git_files(root):
    """Tracked and untracked-but-not-ignored files per git, or ``None`` outside a git checkout."""
    import shutil
    import subprocess

    if not (root / ".git").exists() or shutil.which("git") is None:
        return None
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    return [name for name in result.stdout.decode("utf-8").split("\0") if name]


def text_files(root):
    """Relative paths of the repository's text files.

    In a git checkout: what git tracks or would track (so run outputs under ignored folders such
    as ``runs/`` do not count); elsewhere every file outside VCS, venv and cache folders.
    """
    listed = _git_files(root)
    if listed is not None:
        return sorted(
            name
            for name in listed
            if pathlib.PurePosixPath(name).suffix in TEXT_SUFFIXES and (root / name).is_file()
        )
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if (
            path.is_file()
            and path.suffix in TEXT_SUFFIXES
            and not SKIPPED_DIRS.intersection(relative.parts)
            and not any(part.endswith(".egg-info") for part in relative.parts)
        ):
            files.append(relative.as_posix())
    return files


def outside_references(root, exclude=()):
    """``"file:line: text"`` for every line naming something only one machine has."""
    found = []
    for relative in text_files(root):
        if relative in exclude:
            continue
        text = (root / relative).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_docs_and_code_refer_to_nothing_outside_the_clone():
    found = outside_references(REPO, exclude={"tests/test_dependencies.py"})
    assert not found, (
        "write `python` for the interpreter and restate facts in the repository's own docs:\n"
        + "\n".join(found)
    )


def test_outside_references_are_found(tmp_path):
    _tree(
        tmp_path,
        {
            "bench/README.md": "run it:\n    " + "/work" + "/venv/bin/python bench/x.py\n",
            "amigos_emo/signal/a.py": '"""Windows (' + "FORMATS" + '.md section 10)."""\n',
            "tfds_builders/x/README.md": "python -m pytest tfds_builders/x\n. .venv/bin/activate\n",
            "docs/X.md": "    " + "/opt/env" + "/bin/pytest -q\n",
        },
    )
    assert outside_references(tmp_path) == [
        'amigos_emo/signal/a.py:1: """Windows (' + "FORMATS" + '.md section 10)."""',
        "bench/README.md:2: " + "/work" + "/venv/bin/python bench/x.py",
        "docs/X.md:1: " + "/opt/env" + "/bin/pytest -q",
    ]


# === Builder READMEs agree with their builders ===

DEFAULT_ROW = re.compile(r"^\|\s*`([A-Za-z0-9_]+)`\s*\(default\)", re.MULTILINE)


def test_builder_readmes_mark_the_builders_default_config():
    from amigos_emo import datasets

    checked = 0
    for name in datasets.list_datasets():
        builder = datasets.builder_class(name)
        default = getattr(builder, "DEFAULT_BUILDER_CONFIG_NAME", None)
        readme = REPO / "tfds_builders" / name / "README.md"
        assert readme.is_file(), f"tfds_builders/{name}/ has no README.md"
        marked = DEFAULT_ROW.findall(readme.read_text(encoding="utf-8"))
        if default is None:
            continue
        assert marked == [default], (
            f"tfds_builders/{name}/README.md marks {marked or 'no'} config as (default); "
            f"the builder's DEFAULT_BUILDER_CONFIG_NAME is {default!r}"
        )
        checked += 1
    assert checked >= 8
