"""Package-dir mapping: the repository's top-level folders install under one import name.

``models/`` becomes ``amigos_emo.models``, ``tfds_builders/`` becomes
``amigos_emo.tfds_builders`` and ``tuning/`` becomes ``amigos_emo.tuning``, so installing never
puts generic names such as ``models`` into site-packages. Everything else lives in pyproject.toml.
"""

from setuptools import find_packages, setup

ROOTS = {
    "amigos_emo": "amigos_emo",
    "amigos_emo.models": "models",
    "amigos_emo.tfds_builders": "tfds_builders",
    "amigos_emo.tuning": "tuning",
}

packages = []
for package, folder in ROOTS.items():
    packages.append(package)
    packages.extend(f"{package}.{sub}" for sub in find_packages(folder))

setup(packages=packages, package_dir=ROOTS)
