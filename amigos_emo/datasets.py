"""Access to the corpus builders: ``prepare("amigos", manual_dir=...)`` and friends.

The builders live in ``tfds_builders/`` (installed as ``amigos_emo.tfds_builders``); importing
``amigos_emo.tfds_builders.<name>`` registers ``<name>`` with TFDS. This module does that
import, points TFDS at the user's ``manual_dir``, and prepares the data once per source:

- **One build at a time.** :func:`prepare` holds an inter-process lock
  (``DATA_DIR/.locks/NAME_CONFIG_VERSION.lock``) while it checks, cleans and builds, so a second
  process preparing the same dataset waits and then reuses the first one's result. Left-over
  ``incomplete.*`` folders of killed builds are removed while the lock is held (no live builder
  can be writing them then).
- **Provenance.** Each build records where it came from in ``provenance.json`` inside the
  prepared folder (``builder.data_dir``): the manual_dir, a fingerprint of the files the builder
  read (sha256 over their sorted relative paths, sizes and modification times), the file count,
  the builder version, and for synthetic configs the generator arguments instead of a folder.
  When a later :func:`prepare` is given a manual_dir, the fingerprint is recomputed; another
  folder, changed files, or a dataset without ``provenance.json`` is rebuilt with a warning
  naming the old and the new folder, never silently reused. :func:`provenance` returns the
  record (the trainer writes it into every run's ``config.json``).

Command line (``python -m amigos_emo.datasets --help``)::

    python -m amigos_emo.datasets list   [--data-dir DIR]
    python -m amigos_emo.datasets build  amigos --manual-dir ~/data/AMIGOS/data_preprocessed
    python -m amigos_emo.datasets verify amigos [--manual-dir DIR]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import importlib
import json
import os
import pathlib
import pkgutil
import shutil
import sys

from amigos_emo._logging import logger

DEFAULT_DATA_DIR = os.path.join(os.path.expanduser("~"), "amigos_emo_data")
PROVENANCE_FILE = "provenance.json"
PROVENANCE_FORMAT = 1
INCOMPLETE_PREFIX = "incomplete."  # tensorflow_datasets.core.constants.INCOMPLETE_PREFIX


def list_datasets():
    """Names of the corpora that have a builder folder under ``tfds_builders/``."""
    package = importlib.import_module("amigos_emo.tfds_builders")
    return sorted(info.name for info in pkgutil.iter_modules(package.__path__) if info.ispkg)


def split_dataset_name(dataset):
    """``"amigos/synthetic"`` -> ``("amigos", "synthetic")``; ``"deap"`` -> ``("deap", None)``."""
    name, _, config = str(dataset).partition("/")
    return name, (config or None)


def builder_class(name):
    """The ``Builder`` class of corpus ``name`` (imports, and so registers, its module).

    Raises:
        ValueError: ``name`` is not one of :func:`list_datasets`.
    """
    known = list_datasets()
    if name not in known:
        raise ValueError(
            f"Unknown dataset. Expected one of: {', '.join(known)}. Received: dataset={name!r}"
        )
    return importlib.import_module(f"amigos_emo.tfds_builders.{name}").Builder


def resolve_dataset(dataset):
    """``--dataset`` as given -> ``("name/config", default model)``, from the builder's own attributes.

    The config is the one given, else the builder's ``DEFAULT_BUILDER_CONFIG_NAME`` (for
    ``amigos``: ``preprocessed``, the real download); a corpus without configs stays ``name``.
    The model is the builder's ``DEFAULT_MODEL`` (``None`` for ``custom``: pass ``--model``).

    Example::

        resolve_dataset("amigos")    # ("amigos/preprocessed", "multimodal_lstm")
        resolve_dataset("seed/raw")  # ("seed/raw", "res_attention_net")
    """
    name, config = split_dataset_name(dataset)
    cls = builder_class(name)
    if config is None:
        config = getattr(cls, "DEFAULT_BUILDER_CONFIG_NAME", None)
    return (f"{name}/{config}" if config else name), getattr(cls, "DEFAULT_MODEL", None)


def _data_dir(data_dir):
    return os.path.abspath(os.path.expanduser(os.fspath(data_dir or DEFAULT_DATA_DIR)))


def get_builder(dataset, data_dir=None, manual_dir=None):
    """The TFDS builder for ``dataset`` (``name`` or ``name/config``).

    Args:
        dataset: e.g. ``"amigos/synthetic"``, ``"amigos"`` (the real download), ``"deap/raw"``.
        data_dir: where prepared datasets are stored (default ``~/amigos_emo_data``).
        manual_dir: the folder holding the files as downloaded (licensed corpora).

    Returns:
        ``(builder, download_config)``; call :func:`prepare` to build it.
    """
    import tensorflow_datasets as tfds

    name, config = split_dataset_name(dataset)
    builder_class(name)
    module = importlib.import_module(f"amigos_emo.tfds_builders.{name}")
    kwargs = {"data_dir": _data_dir(data_dir)}
    if name == "custom":
        # A user's own recordings: the JSON description in manual_dir defines the features.
        if not manual_dir:
            raise ValueError(
                "dataset 'custom' (bring your own data) needs --manual-dir pointing at the folder that holds "
                "amigos_emo_dataset.json (or at the JSON file itself); see tfds_builders/custom/README.md."
            )
        kwargs["config"] = module.CustomConfig.from_json(manual_dir, name=config)
    elif config:
        kwargs["config"] = config
    builder = tfds.builder(name, **kwargs)
    manual = os.path.abspath(os.path.expanduser(os.fspath(manual_dir))) if manual_dir else None
    download_config = tfds.download.DownloadConfig(manual_dir=manual)
    return builder, download_config


# --------------------------------------------------------------------------- provenance


def _full_name(builder):
    config = builder.builder_config.name if builder.builder_config else None
    return f"{builder.name}/{config}" if config else builder.name


def fingerprint_files(files, root):
    """sha256 over the sorted ``(path relative to root, size, mtime_ns)`` of ``files``.

    Args:
        files: paths of the files a build reads.
        root: the folder they are named relative to (the manual_dir), so moving the whole
            folder keeps the fingerprint and only the recorded folder differs.

    Returns:
        ``"sha256:<hex>"``.
    """
    root = os.path.abspath(os.fspath(root))
    rows = []
    for path in files:
        path = os.path.abspath(os.fspath(path))
        stat = os.stat(path)
        relative = os.path.relpath(path, root) if path.startswith(root + os.sep) else path
        rows.append((relative.replace(os.sep, "/"), stat.st_size, stat.st_mtime_ns))
    digest = hashlib.sha256()
    for relative, size, mtime_ns in sorted(rows):
        digest.update(f"{relative}\0{size}\0{mtime_ns}\n".encode())
    return "sha256:" + digest.hexdigest()


def source_files(builder, manual_dir):
    """The files ``builder`` reads below ``manual_dir`` (its own finder; every file for ``custom``)."""
    if hasattr(builder, "check_manual_dir"):
        return builder.check_manual_dir(manual_dir)
    if manual_dir is None:
        raise ValueError(
            f"{_full_name(builder)} needs --manual-dir (the folder holding its files)."
        )
    root = pathlib.Path(manual_dir)
    root = root.parent if root.is_file() else root
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def _generator_arguments(builder):
    method = getattr(builder, "generator_arguments", None)
    return method() if method else None


def current_provenance(builder, manual_dir):
    """Where a build of ``builder`` from ``manual_dir`` would come from, as :func:`provenance` says.

    Raises:
        amigos_emo.io.errors.CorpusFormatError: the folder is missing, empty or lacks the
            corpus's files (the builder's own message).
    """
    record = {
        "format": PROVENANCE_FORMAT,
        "dataset": _full_name(builder),
        "builder_version": str(builder.version),
        "data_dir": os.fspath(builder.data_dir),
    }
    generator = _generator_arguments(builder)
    if generator is not None:
        payload = json.dumps(generator, sort_keys=True, default=str)
        record.update(
            source="synthetic",
            manual_dir=None,
            generator=generator,
            n_files=None,
            fingerprint="sha256:" + hashlib.sha256(payload.encode()).hexdigest(),
        )
        return record
    files = source_files(builder, manual_dir)
    root = os.path.abspath(os.fspath(manual_dir))
    if os.path.isfile(root):
        root = os.path.dirname(root)
    record.update(
        source="manual_dir",
        manual_dir=root,
        generator=None,
        n_files=len(files),
        fingerprint=fingerprint_files(files, root),
    )
    return record


def _provenance_path(builder):
    return os.path.join(os.fspath(builder.data_dir), PROVENANCE_FILE)


def read_provenance(builder):
    """The recorded ``provenance.json`` of a prepared builder, or ``None`` when there is none."""
    path = _provenance_path(builder)
    try:
        with open(path) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError:
        logger.warning("%s is not valid JSON; treating the dataset as of unknown provenance", path)
        return None


def provenance(builder):
    """Where a prepared dataset came from, for a run's ``config.json``.

    Returns:
        dict with ``dataset`` (``name/config``), ``builder_version``, ``data_dir``, ``source``
        (``"manual_dir"``, ``"synthetic"`` or ``"unknown"``), ``manual_dir`` (absolute folder or
        ``None``), ``fingerprint`` (``"sha256:..."`` or ``None``), ``n_files``, ``generator``
        (synthetic configs' arguments) and ``prepared_at`` (ISO time, UTC). ``source`` is
        ``"unknown"`` for a dataset prepared without :func:`prepare` (no ``provenance.json``).
    """
    recorded = read_provenance(builder)
    if recorded is not None:
        return {**recorded, "data_dir": os.fspath(builder.data_dir)}
    return {
        "format": PROVENANCE_FORMAT,
        "dataset": _full_name(builder),
        "builder_version": str(builder.version),
        "data_dir": os.fspath(builder.data_dir),
        "source": "unknown",
        "manual_dir": None,
        "fingerprint": None,
        "n_files": None,
        "generator": None,
        "prepared_at": None,
    }


def _write_provenance(builder, record):
    path = _provenance_path(builder)
    record = {
        **record,
        "prepared_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as handle:
        json.dump(record, handle, indent=2)
    os.replace(tmp, path)
    return record


def _same_source(recorded, current):
    return (
        recorded is not None
        and recorded.get("fingerprint") == current["fingerprint"]
        and recorded.get("manual_dir") == current["manual_dir"]
        and recorded.get("builder_version") == current["builder_version"]
    )


def _describe_source(record):
    if record is None:
        return "an unrecorded source (no provenance.json)"
    if record.get("source") == "synthetic":
        return f"synthetic data {record.get('generator')}"
    return f"{record.get('manual_dir')} ({record.get('n_files')} files, {str(record.get('fingerprint'))[:19]}...)"


# --------------------------------------------------------------------------- prepare


def lock_path(builder):
    """The lock file guarding the preparation of ``builder``'s dataset."""
    root = pathlib.Path(os.fspath(builder.data_dir_root))
    config = builder.builder_config.name if builder.builder_config else "default"
    return os.fspath(root / ".locks" / f"{builder.name}_{config}_{builder.version}.lock")


def clean_incomplete(builder):
    """Remove ``incomplete.*`` folders of ``builder``'s version (killed builds); call with the lock held.

    Returns:
        the removed paths.
    """
    parent = pathlib.Path(os.fspath(builder.data_dir)).parent
    removed = []
    if parent.is_dir():
        for entry in sorted(parent.iterdir()):
            if (
                entry.is_dir()
                and entry.name.startswith(INCOMPLETE_PREFIX)
                and entry.name.endswith(f"_{builder.version}")
            ):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(os.fspath(entry))
    if removed:
        logger.warning(
            "Removed %d left-over folder(s) of an interrupted build: %s",
            len(removed),
            ", ".join(removed),
        )
    return removed


def prepare(dataset, data_dir=None, manual_dir=None):
    """Build ``dataset`` unless it is prepared from the same source, and return its builder.

    Args:
        dataset: ``name`` or ``name/config`` (see :func:`get_builder`).
        data_dir: where prepared datasets live (default ``~/amigos_emo_data``).
        manual_dir: the folder holding the corpus files. When given and a prepared copy exists,
            its recorded folder and fingerprint must match, else it is rebuilt (with a warning
            naming both folders). When omitted, a prepared copy is reused as it is.

    TFDS writes into an ``incomplete`` folder and renames it only when every split is written,
    so an interrupted build never leaves a dataset that looks complete; the next call removes
    the left-over and builds again.

    Raises:
        amigos_emo.io.errors.CorpusFormatError: manual_dir missing, empty, without the corpus's
            files, or holding a bad file.
    """
    from amigos_emo.io.locks import ProcessLock

    builder, download_config = get_builder(dataset, data_dir=data_dir, manual_dir=manual_dir)
    lock = ProcessLock(lock_path(builder), what=f"preparation of {builder.info.full_name}")
    with lock:
        # Another process may have finished while this one waited: look again.
        builder, download_config = get_builder(dataset, data_dir=data_dir, manual_dir=manual_dir)
        clean_incomplete(builder)
        generator = _generator_arguments(builder)
        if builder.is_prepared():
            recorded = read_provenance(builder)
            if generator is None and manual_dir is None:
                logger.info(
                    "Using prepared dataset %s at %s (built from %s; no --manual-dir given to compare)",
                    builder.info.full_name,
                    builder.data_dir,
                    _describe_source(recorded),
                )
                return builder
            current = current_provenance(builder, manual_dir)
            if _same_source(recorded, current):
                logger.info(
                    "Using prepared dataset %s at %s (built from %s)",
                    builder.info.full_name,
                    builder.data_dir,
                    _describe_source(recorded),
                )
                return builder
            logger.warning(
                "Prepared dataset %s at %s was built from %s, but this run reads %s: rebuilding it "
                "(old -> new).",
                builder.info.full_name,
                builder.data_dir,
                _describe_source(recorded),
                _describe_source(current),
            )
            shutil.rmtree(os.fspath(builder.data_dir))
            builder, download_config = get_builder(
                dataset, data_dir=data_dir, manual_dir=manual_dir
            )
        else:
            current = current_provenance(builder, manual_dir)
        logger.info(
            "Preparing %s into %s from %s (once; later runs reuse it)",
            builder.info.full_name,
            builder.data_dir,
            _describe_source(current),
        )
        builder.download_and_prepare(download_config=download_config)
        _write_provenance(builder, current)
        builder, _ = get_builder(dataset, data_dir=data_dir, manual_dir=manual_dir)
    return builder


def subject_splits(builder):
    """Per-subject split names (``subject_XX``) of a prepared builder, sorted."""
    names = sorted(s for s in builder.info.splits if s.startswith("subject_"))
    if not names:
        raise ValueError(
            f"{builder.info.full_name} has no per-subject splits (found: {', '.join(builder.info.splits)}); "
            "subject-independent protocols need them."
        )
    return names


# --------------------------------------------------------------------------- command line


def prepared_datasets(data_dir=None):
    """Every prepared dataset under ``data_dir``: list of dicts (dataset, version, path, provenance)."""
    root = pathlib.Path(_data_dir(data_dir))
    found = []
    if not root.is_dir():
        return found
    for info_path in sorted(root.glob("*/*/*/dataset_info.json")):
        version_dir = info_path.parent
        if version_dir.name.startswith(INCOMPLETE_PREFIX) or version_dir.parent.name.startswith(
            INCOMPLETE_PREFIX
        ):
            continue
        record_path = version_dir / PROVENANCE_FILE
        record = json.loads(record_path.read_text()) if record_path.is_file() else None
        found.append(
            {
                "dataset": f"{version_dir.parent.parent.name}/{version_dir.parent.name}",
                "version": version_dir.name,
                "path": os.fspath(version_dir),
                "provenance": record,
            }
        )
    return found


def _print_record(record, indent="    "):
    if record is None:
        print(
            f"{indent}provenance: unknown (no {PROVENANCE_FILE}; prepared outside amigos_emo.datasets)"
        )
        return
    keys = (
        "source",
        "manual_dir",
        "n_files",
        "fingerprint",
        "generator",
        "builder_version",
        "prepared_at",
    )
    for key in keys:
        if record.get(key) is not None:
            print(f"{indent}{key}: {record[key]}")


def _cmd_list(args):
    print("corpora (default config -> default model):")
    for name in list_datasets():
        cls = builder_class(name)
        configs = [c.name for c in (cls.BUILDER_CONFIGS or [])]
        resolved, model = resolve_dataset(name)
        print(
            f"  {name:<17} {resolved:<28} -> {model or '(pass --model)'}"
            + (f"   configs: {', '.join(configs)}" if configs else "")
        )
    prepared = prepared_datasets(args.data_dir)
    print(f"\nprepared in {_data_dir(args.data_dir)}:" + ("" if prepared else " none"))
    for item in prepared:
        print(f"  {item['dataset']} {item['version']}  ({item['path']})")
        _print_record(item["provenance"])
    return 0


def _cmd_build(args):
    builder = prepare(args.dataset, data_dir=args.data_dir, manual_dir=args.manual_dir)
    print(f"prepared {builder.info.full_name} at {builder.data_dir}")
    splits = {name: split.num_examples for name, split in builder.info.splits.items()}
    print(f"    splits: {len(splits)}, examples: {sum(splits.values())}")
    _print_record(read_provenance(builder))
    return 0


def _cmd_verify(args):
    builder, _ = get_builder(args.dataset, data_dir=args.data_dir, manual_dir=args.manual_dir)
    if not builder.is_prepared():
        print(
            f"{builder.info.full_name} is not prepared in {_data_dir(args.data_dir)}; "
            f"run: python -m amigos_emo.datasets build {args.dataset} --manual-dir FOLDER",
            file=sys.stderr,
        )
        return 1
    recorded = read_provenance(builder)
    print(f"{builder.info.full_name} at {builder.data_dir}")
    _print_record(recorded)
    manual_dir = args.manual_dir or (recorded or {}).get("manual_dir")
    if _generator_arguments(builder) is None and manual_dir is None:
        print("cannot verify: no provenance recorded and no --manual-dir given", file=sys.stderr)
        return 1
    current = current_provenance(builder, manual_dir)
    if _same_source(recorded, current):
        print(
            f"OK: {current['n_files'] if current['n_files'] is not None else 'synthetic'} source file(s) "
            "unchanged since the build"
        )
        return 0
    print(
        f"MISMATCH: built from {_describe_source(recorded)}; now {_describe_source(current)}. "
        f"Rebuild with: python -m amigos_emo.datasets build {args.dataset} --manual-dir {current['manual_dir']}",
        file=sys.stderr,
    )
    return 1


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m amigos_emo.datasets",
        description="List, build and verify prepared datasets, with where each one came from.",
    )
    parser.add_argument(
        "--data-dir", default=None, help="where prepared datasets live (default: ~/amigos_emo_data)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "list", help="corpora, their default config and model, and what is prepared"
    )
    for name, text in (
        ("build", "prepare a dataset (reuses it when built from the same files)"),
        ("verify", "check a prepared dataset against the files it was built from"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument(
            "dataset", help="NAME or NAME/CONFIG, e.g. amigos, amigos/synthetic, seed/de"
        )
        sub.add_argument(
            "--manual-dir", default=None, help="folder holding the corpus files as downloaded"
        )
        sub.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def main(argv=None):
    """Entry point of ``python -m amigos_emo.datasets``; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    handler = {"list": _cmd_list, "build": _cmd_build, "verify": _cmd_verify}[args.command]
    try:
        return handler(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
