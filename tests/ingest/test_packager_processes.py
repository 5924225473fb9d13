"""The packager as a process: SIGTERM, kill -9 and takeover, two packagers at once."""

import signal
import time

import pytest

from live.models import Broadcast, PackagerLease
from tests.processes import wait_for
from tests.ingest.support import marked_pids, parent_pid, wait_exit, wait_for_playable_segments

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

LEASE = 5  # seconds; production's default is 10. At 2 a busy CI box stalled a packager past it.
TAKEOVER_LEASE = 3  # long enough to watch the takeover wait for it


def _start_srt(api, event):
    started = api.start(event.pk, "srt")
    assert started.status == 201, started.text
    answer = started.json()
    return answer, Broadcast.objects.get(pk=answer["broadcastId"])


def _lease(broadcast):
    return PackagerLease.objects.get(broadcast=broadcast)


def test_sigterm_stops_the_packager_and_its_children(api, event, start_packager, camera, data_dir):
    packager = start_packager()
    answer, broadcast = _start_srt(api, event)
    camera(answer["ingest"]["url"], "mpegts")
    wait_for_playable_segments(data_dir / "hls" / broadcast.stream_name, count=1, timeout=20)
    [child] = marked_pids(broadcast.pk)
    assert parent_pid(child) == packager.pid

    packager.send_signal(signal.SIGTERM)
    assert wait_exit(packager, 5) == 0
    assert marked_pids(broadcast.pk) == []
    assert not PackagerLease.objects.filter(broadcast=broadcast).exists()  # released


def test_kill_9_takes_the_children_along_and_another_packager_takes_over(
    api, event, start_packager, camera, data_dir
):
    first = start_packager(lease_seconds=TAKEOVER_LEASE)
    answer, broadcast = _start_srt(api, event)
    [child] = wait_for(lambda: marked_pids(broadcast.pk), 10, "the first packager's ffmpeg")
    assert parent_pid(child) == first.pid
    wait_for(lambda: _lease(broadcast).child_pid == child, 5, "the lease to name the ffmpeg")

    first.kill()
    wait_exit(first, 5)
    # PR_SET_PDEATHSIG: the kernel kills the ffmpeg with its parent.
    wait_for(lambda: not marked_pids(broadcast.pk), 2, "the orphaned ffmpeg to die")
    lapses_at = _lease(broadcast).expires_at.timestamp()

    second = start_packager(lease_seconds=TAKEOVER_LEASE, name="second-packager")
    samples = []  # (time, pids): watched closely, to see when the takeover happens

    def taken_over():
        samples.append((time.time(), marked_pids(broadcast.pk)))
        return samples[-1][1]

    [new_child] = wait_for(taken_over, TAKEOVER_LEASE + 10, "the second packager's ffmpeg", 0.02)
    assert parent_pid(new_child) == second.pid
    # It waited for the dead packager's lease to lapse before taking over.
    assert not [pids for at, pids in samples if at < lapses_at and pids], (lapses_at, samples)
    assert samples[0][0] < lapses_at  # (the watch began while the lease still held)
    wait_for(lambda: _lease(broadcast).child_pid == new_child, 5, "the lease to name it")
    assert f":{second.pid}:" in _lease(broadcast).owner

    # ... and runs the broadcast: the camera's picture comes through.
    camera(answer["ingest"]["url"], "mpegts")
    wait_for_playable_segments(data_dir / "hls" / broadcast.stream_name, count=2, timeout=20)


def test_two_packagers_never_both_run_one_broadcast(api, event, start_packager, camera, data_dir):
    start_packager(lease_seconds=LEASE, name="packager-a")
    start_packager(lease_seconds=LEASE, name="packager-b")
    time.sleep(1.5)  # both are up and polling before the broadcast starts
    answer, broadcast = _start_srt(api, event)
    camera(answer["ingest"]["url"], "mpegts")
    first = wait_for(lambda: marked_pids(broadcast.pk), 10, "one packager's ffmpeg")

    counts = []
    deadline = time.monotonic() + 2 * LEASE + 2  # past a few lease renewals
    while time.monotonic() < deadline:
        counts.append(len(marked_pids(broadcast.pk)))
        time.sleep(0.05)
    assert max(counts) == 1 and min(counts) == 1, counts
    assert marked_pids(broadcast.pk) == first  # no flapping between the two
    wait_for_playable_segments(data_dir / "hls" / broadcast.stream_name, count=2, timeout=20)
