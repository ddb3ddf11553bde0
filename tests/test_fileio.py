"""Files written whole or not at all (dudu_desktop.fileio)."""

from __future__ import annotations

import os

import pytest

from dudu_desktop.fileio import atomic_path, atomic_write_bytes, size_text


def test_atomic_path_keeps_the_old_file_when_the_write_fails_midway(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".partial")
        tmp.write_bytes(b"half of the new")
        raise RuntimeError("power cut")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.csv"]


def test_atomic_write_bytes_replaces_and_fsyncs(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = tmp_path / "x.bin"
    path.write_bytes(b"old")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert len(synced) == (2 if os.name != "nt" else 1)  # the file, then the folder
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


@pytest.mark.parametrize("n, text", [(50 * 1024 * 1024, "50 MB"), (1536, "1.5 KB"), (3 * 1024**3, "3 GB")])
def test_size_text_names_the_unit(n, text):
    assert size_text(n) == text


def test_size_text_of_a_few_bytes_is_translated():
    assert size_text(1000) == "1000 字节"
