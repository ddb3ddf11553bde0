"""The sync bundle's zip envelope (dudu_desktop.sync.container)."""

from __future__ import annotations

import io
import os
import struct
import warnings
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dudu_desktop.sync.container import ContainerError, read_zip_safely, sha256_hex, write_zip_atomic

MEMBERS = {
    "datapackage.json": b'{"profile": "tabular-data-package", "village": "500000000001"}',
    "disputes.csv": "\ufeffid,登记日期,当事人\r\n1,2024-05-01,张三\r\n".encode() * 40,
    "hotline.csv": b"",
}
NAMES = set(MEMBERS)
MiB = 1024 * 1024


def _zip(entries, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip built without our checks: entries are (name or ZipInfo, data)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name"
        with zipfile.ZipFile(buf, "w", compression) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture
def bundle(tmp_path):
    path = tmp_path / "500000000001-2024-05.zip"
    write_zip_atomic(path, MEMBERS)
    return path


def _refused(path, **limits) -> str:
    limits.setdefault("allowed_names", NAMES)
    with pytest.raises(ContainerError) as info:
        read_zip_safely(path, **limits)
    assert str(info.value) == info.value.message
    return info.value.message


# ---------------------------------------------------------------- writing


def test_round_trip(bundle):
    assert read_zip_safely(bundle, allowed_names=NAMES) == MEMBERS
    assert list(read_zip_safely(bundle, allowed_names=lambda n: n.endswith((".csv", ".json")))) == list(MEMBERS)
    with zipfile.ZipFile(bundle) as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_DEFLATED}
    assert [p.name for p in bundle.parent.iterdir()] == [bundle.name]


def test_members_may_be_pairs_and_names_non_ascii(tmp_path):
    path = tmp_path / "b.zip"
    write_zip_atomic(path, [("表/矛盾纠纷.csv", b"x"), ("b.csv", b"y")])
    assert read_zip_safely(path, allowed_names={"表/矛盾纠纷.csv", "b.csv"}) == {"表/矛盾纠纷.csv": b"x", "b.csv": b"y"}


@pytest.mark.parametrize("name", ["../evil", "/abs", "C:\\x", "a\\b", "a/", "", "a//b"])
def test_writing_refuses_unsafe_names(tmp_path, name):
    with pytest.raises(ContainerError, match="不允许的文件名"):
        write_zip_atomic(tmp_path / "b.zip", {name: b"x"})
    assert list(tmp_path.iterdir()) == []


def test_writing_refuses_duplicate_names(tmp_path):
    with pytest.raises(ContainerError, match="重复的文件名：A.csv"):
        write_zip_atomic(tmp_path / "b.zip", [("a.csv", b"1"), ("A.csv", b"2")])
    assert list(tmp_path.iterdir()) == []


def test_a_failing_write_leaves_the_old_bundle_and_no_partial_file(bundle, monkeypatch):
    before = bundle.read_bytes()

    def fsync_fails(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync_fails)
    with pytest.raises(ContainerError, match="无法写入“500000000001-2024-05.zip”"):
        write_zip_atomic(bundle, {"disputes.csv": b"new"})
    assert bundle.read_bytes() == before
    assert [p.name for p in bundle.parent.iterdir()] == [bundle.name]


def test_what_was_written_is_read_back_and_compared_before_the_rename(bundle, monkeypatch):
    before = bundle.read_bytes()
    real_writestr = zipfile.ZipFile.writestr

    def flaky_stick(self, name, data, *args, **kwargs):  # the medium garbles one member
        return real_writestr(self, name, data[:-1] + b"?", *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", flaky_stick)
    with pytest.raises(ContainerError, match="写入校验失败"):
        write_zip_atomic(bundle, {"disputes.csv": b"new data"})
    assert bundle.read_bytes() == before
    assert [p.name for p in bundle.parent.iterdir()] == [bundle.name]


def test_unreadable_partial_file_is_refused_before_the_rename(bundle, monkeypatch):
    before = bundle.read_bytes()
    real_fsync = os.fsync

    def truncate_then_fsync(fd):  # the stick loses the end of the file
        if os.fstat(fd).st_size > 100:
            os.ftruncate(fd, 100)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", truncate_then_fsync)
    with pytest.raises(ContainerError, match="写入校验失败"):
        write_zip_atomic(bundle, MEMBERS)
    assert bundle.read_bytes() == before
    assert [p.name for p in bundle.parent.iterdir()] == [bundle.name]


# ---------------------------------------------------------------- damaged files


def test_a_flipped_byte_is_a_crc_error(bundle):
    data = bytearray(bundle.read_bytes())
    with zipfile.ZipFile(bundle) as zf:
        info = zf.getinfo("disputes.csv")
    offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 10
    data[offset] ^= 0xFF
    bundle.write_bytes(bytes(data))
    assert _refused(bundle).startswith("文件已损坏或不完整")


def test_a_flipped_byte_in_a_stored_member_is_a_crc_error(tmp_path):
    path = tmp_path / "s.zip"
    data = bytearray(_zip([("hotline.csv", b"a,b\r\n1,2\r\n")], compression=zipfile.ZIP_STORED))
    data[30 + len("hotline.csv") + 3] ^= 0x01
    path.write_bytes(bytes(data))
    assert _refused(path) == "文件已损坏或不完整（读取 hotline.csv 时出错）"


@pytest.mark.parametrize("keep", [0, 1, 4, 29, 100, 0.5, 0.9, -23, -22, -1])
def test_a_truncated_file_is_refused(bundle, keep):
    data = bundle.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    bundle.write_bytes(data[:cut])
    assert _refused(bundle).startswith("文件已损坏或不完整")


@pytest.mark.parametrize("content", [b"id,name\r\n1,2\r\n", b"PK\x03\x04" + b"\0" * 50])
def test_a_file_that_is_not_a_zip_is_refused(tmp_path, content):
    path = tmp_path / "x.zip"
    path.write_bytes(content)
    assert _refused(path) == "文件已损坏或不完整（不是有效的压缩包）"


def test_a_missing_file_is_a_container_error(tmp_path):
    assert _refused(tmp_path / "gone.zip").startswith("无法读取“gone.zip”")


def test_a_central_directory_that_lost_entries_is_refused(bundle):
    """zipfile stops at the declared directory size: a damaged comment length in the first
    entry swallows the others, and only the entry count in the trailer tells."""
    data = bytearray(bundle.read_bytes())
    first = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, first + 32, 1000)
    bundle.write_bytes(bytes(data))
    assert _refused(bundle) == "文件已损坏或不完整（文件目录与记录的文件数不符）"


# ---------------------------------------------------------------- hostile names and entries


@pytest.mark.parametrize(
    "name", ["../evil", "/abs", "C:\\x", "C:x", "a\\..\\b", "a/../b", "./a", "a//b", "a\x00b", "nul\x1f"]
)
def test_unsafe_names_are_refused(tmp_path, name):
    path = tmp_path / "x.zip"
    info = zipfile.ZipInfo("placeholder")
    info.filename = name  # ZipInfo() would cut at NUL; write the name as given
    path.write_bytes(_zip([(info, b"x")]))
    message = _refused(path, allowed_names=lambda n: True)
    assert message.startswith("压缩包含有不允许的文件名：")


def test_example_message_for_a_parent_path(tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(_zip([("../x", b"x")]))
    assert _refused(path) == "压缩包含有不允许的文件名：../x"


@pytest.mark.parametrize("names", [["a.csv", "a.csv"], ["a.csv", "A.CSV"]])
def test_duplicate_names_are_refused(tmp_path, names):
    path = tmp_path / "x.zip"
    path.write_bytes(_zip([(n, b"x") for n in names]))
    assert _refused(path, allowed_names=lambda n: True).startswith("压缩包含有重复的文件名")


def test_unexpected_names_are_refused(bundle):
    assert (
        _refused(bundle, allowed_names={"datapackage.json", "disputes.csv"}) == "压缩包含有不应出现的文件：hotline.csv"
    )
    assert _refused(bundle, allowed_names=lambda n: n != "disputes.csv") == "压缩包含有不应出现的文件：disputes.csv"


def test_directory_and_symlink_entries_are_refused(tmp_path):
    path = tmp_path / "d.zip"
    path.write_bytes(_zip([("tables/", b"")]))
    assert _refused(path, allowed_names=lambda n: True) == "压缩包含有文件夹项：tables/"

    link = zipfile.ZipInfo("disputes.csv")
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    path.write_bytes(_zip([(link, b"/etc/passwd")]))
    assert _refused(path) == "压缩包含有符号链接或特殊文件：disputes.csv"


def test_encrypted_members_are_refused(bundle):
    data = bytearray(bundle.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at != -1:
            data[at + flag_offset] |= 0x01
            at = data.find(signature, at + 4)
    bundle.write_bytes(bytes(data))
    assert _refused(bundle).startswith("压缩包内的文件已加密")


def test_too_many_members_are_refused(bundle):
    assert _refused(bundle, max_members=2) == "压缩包内文件过多（超过 2 个）"
    assert len(read_zip_safely(bundle, allowed_names=NAMES, max_members=3)) == 3


def test_unsupported_compression_is_refused(tmp_path):
    path = tmp_path / "b.zip"
    path.write_bytes(_zip([("disputes.csv", b"x" * 100)], compression=zipfile.ZIP_BZIP2))
    assert _refused(path) == "压缩包使用了不支持的压缩方式：disputes.csv"


# ---------------------------------------------------------------- size limits and bombs


def _zeros_zip(path, name, size):
    """A deflated member of ``size`` zero bytes, written in chunks: memory stays small."""
    chunk = bytes(MiB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(name, "w", force_zip64=True) as member:
            for _ in range(size // MiB):
                member.write(chunk)


def test_a_300_mb_zip_bomb_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.zip"
    _zeros_zip(path, "disputes.csv", 300 * MiB)
    assert path.stat().st_size < 2 * MiB
    assert _refused(path) == "压缩包内的文件过大（超过 200 MB）：disputes.csv"
    assert _refused(path, max_member_bytes=400 * MiB) == "压缩包解压后过大，疑似压缩炸弹"


def test_ratio_and_total_limits(tmp_path):
    path = tmp_path / "z.zip"
    _zeros_zip(path, "disputes.csv", 2 * MiB)
    assert _refused(path) == "压缩包解压后过大，疑似压缩炸弹"  # ratio ~ 500
    assert len(read_zip_safely(path, allowed_names=NAMES, max_ratio=2000)["disputes.csv"]) == 2 * MiB
    random = os.urandom(2 * MiB)
    path.write_bytes(_zip([("disputes.csv", random), ("hotline.csv", random)]))
    assert _refused(path, max_total_bytes=3 * MiB) == "压缩包解压后过大，疑似压缩炸弹"
    assert _refused(path, max_member_bytes=MiB) == "压缩包内的文件过大（超过 1 MB）：disputes.csv"
    # a small file full of blanks compresses very well and is not a bomb
    path.write_bytes(_zip([("disputes.csv", b"," * 500_000)]))
    assert read_zip_safely(path, allowed_names=NAMES)["disputes.csv"] == b"," * 500_000


def test_a_lying_header_is_refused(tmp_path):
    path = tmp_path / "liar.zip"
    _zeros_zip(path, "disputes.csv", 8 * MiB)
    data = bytearray(path.read_bytes())
    cd = data.rindex(b"PK\x01\x02")
    # the zip64 extra field holds the sizes: declare 1000 bytes instead of 8 MiB
    extra = data.index(b"\x01\x00", cd + 46 + len("disputes.csv"))
    struct.pack_into("<Q", data, extra + 4, 1000)
    path.write_bytes(bytes(data))
    assert _refused(path).startswith("文件已损坏或不完整")


def test_actual_sizes_are_counted_while_reading(bundle, monkeypatch):
    """Even if the zip module handed out more bytes than the header declares, reading stops
    at the limit instead of filling memory."""
    served = []

    class Endless(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            served.append(len(b))
            b[:] = bytes(len(b))
            return len(b)

    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info: Endless())
    assert (
        _refused(bundle, max_member_bytes=3 * MiB, max_ratio=1e9) == "压缩包内的文件过大（超过 3 MB）：datapackage.json"
    )
    assert sum(served) <= 4 * MiB
    assert _refused(bundle, max_total_bytes=2 * MiB, max_ratio=1e9) == "压缩包解压后过大，疑似压缩炸弹"
    assert _refused(bundle) == "压缩包解压后过大，疑似压缩炸弹"  # actual ratio


def test_sha256_hex():
    assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# ---------------------------------------------------------------- properties

_VALID = _zip(MEMBERS.items())
_STORED = _zip(MEMBERS.items(), compression=zipfile.ZIP_STORED)


def _check(tmp_dir, data: bytes) -> None:
    path = tmp_dir / "m.zip"
    path.write_bytes(data)
    try:
        result = read_zip_safely(path, allowed_names=NAMES)
    except ContainerError as exc:
        assert exc.message
    else:
        assert result == MEMBERS


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


_mutations = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=4)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(original=st.sampled_from([_VALID, _STORED]), mutations=_mutations, cut=st.one_of(st.none(), st.floats(0, 1)))
def test_mutated_or_truncated_zip_reads_back_exactly_or_is_refused(fuzz_dir, original, mutations, cut):
    data = bytearray(original)
    for where, value in mutations:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    _check(fuzz_dir, bytes(data))


@settings(max_examples=200, deadline=None)
@given(where=st.floats(0, 1, exclude_max=True), value=st.integers(0, 255))
def test_one_byte_in_the_directory_or_trailer_changed(fuzz_dir, where, value):
    data = bytearray(_VALID)
    start = data.rindex(b"PK\x01\x02", 0, data.rindex(b"PK\x01\x02"))  # last two entries
    data[start + int(where * (len(data) - start))] = value
    _check(fuzz_dir, bytes(data))


@settings(max_examples=150, deadline=None)
@given(position=st.floats(0, 1), junk=st.binary(min_size=1, max_size=40))
def test_inserted_bytes(fuzz_dir, position, junk):
    at = int(position * len(_VALID))
    _check(fuzz_dir, _VALID[:at] + junk + _VALID[at:])
