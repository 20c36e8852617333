"""Reading deploy/ as the tools that consume it would."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
APP_IMAGE = "crm-loop"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def compose() -> dict[str, Any]:
    return load(DEPLOY / "compose.yaml")


def manifests() -> list[dict[str, Any]]:
    """Every Kubernetes object in deploy/k8s (the kustomization itself excluded)."""
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in manifests() if d["kind"] == kind}


def process(command: list[str]) -> tuple[str, ...]:
    """What a command runs, without its tuning (process and thread counts, config file)."""
    words, skip = [], False
    for word in command:
        if skip:
            skip = False
        elif word in ("--processes", "--threads", "--config"):
            skip = True
        else:
            words.append(word)
    return tuple(words)


def pinned(image: str) -> bool:
    """A tag naming a release (digits in it, never latest), or the app's ${VAR:-version}."""
    name, _, tag = image.rpartition(":")
    if not name or tag == "latest":
        return False
    default = re.fullmatch(r"\$\{[A-Z_]+:-(.+)\}", tag)
    return bool(re.search(r"\d+\.\d+", default.group(1) if default else tag))
