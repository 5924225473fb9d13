"""manage.py evalshots: figures on a real media file; a CommandError naming the input."""

import subprocess

import pytest
from django.core.management import CommandError, call_command

from tests.ingest.strikes import strike_audio


@pytest.fixture(scope="module")
def strikes_file(tmp_path_factory):
    """20 s of AAC audio with a strike at 3, 11 and 19 s (real ffmpeg)."""
    path = tmp_path_factory.mktemp("evalshots") / "tee.m4a"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", strike_audio(8, 3),
         "-t", "20", "-c:a", "aac", "-b:a", "96k", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


def evalshots(*args):
    from io import StringIO

    out = StringIO()
    call_command("evalshots", *args, stdout=out)
    return out.getvalue()


def test_it_finds_every_labelled_strike(strikes_file, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("seconds\n3.0\n11.0\n19.0\n")
    out = evalshots("--media", str(strikes_file), "--labels", str(labels))
    assert "recall    1.000 (3 of 3)" in out
    assert "precision 1.000" in out


def test_a_missed_label_lowers_recall(strikes_file, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("3.0\n7.0\n11.0\n19.0\n")
    out = evalshots("--media", str(strikes_file), "--labels", str(labels))
    assert "recall    0.750 (3 of 4)" in out
    assert "missed at 7.00" in out


@pytest.mark.parametrize(
    "content, message",
    [
        ("3.0\nsoon\n", "--labels: line 2"),
        ("", "--labels:"),
        ("-4\n", "--labels: line 1"),
    ],
)
def test_bad_labels_are_refused_by_name(strikes_file, tmp_path, content, message):
    labels = tmp_path / "labels.csv"
    labels.write_text(content)
    with pytest.raises(CommandError, match=message):
        evalshots("--media", str(strikes_file), "--labels", str(labels))


def test_a_missing_labels_file_or_media_is_refused_by_name(strikes_file, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("3\n")
    with pytest.raises(CommandError, match="--labels: cannot read"):
        evalshots("--media", str(strikes_file), "--labels", str(tmp_path / "none.csv"))
    with pytest.raises(CommandError, match="--media: cannot read"):
        evalshots("--media", str(tmp_path / "none.mp4"), "--labels", str(labels))
    silent = tmp_path / "picture.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=64x64",
         "-t", "1", str(silent)],
        check=True, timeout=60,
    )  # fmt: skip
    with pytest.raises(CommandError, match="--media: .*no audio"):
        evalshots("--media", str(silent), "--labels", str(labels))


def test_a_threshold_out_of_range_is_refused_by_name(strikes_file, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("3\n")
    with pytest.raises(CommandError, match="--threshold"):
        evalshots("--media", str(strikes_file), "--labels", str(labels), "--threshold", "90")
