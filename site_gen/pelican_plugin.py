"""A Pelican plugin for plain ``pelican`` runs: write the hashed assets."""

from pathlib import Path

from pelican import signals

from .build import write_assets


def _write_assets(pelican) -> None:
    write_assets(Path(pelican.output_path))


def register() -> None:
    """Connect the asset writer to the end of a Pelican run."""
    signals.finalized.connect(_write_assets)
