"""Watching now, unique viewers, peak (live/services/audience.py, viewers.py) and chart samples."""

import logging
import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from live.models import Broadcast, BroadcastSample, Viewer
from live.workers import samples
from live.services.access import check_viewer_access
from live.services.audience import audience_of, series_of, watching_now
from live.services.cameras import create_camera
from live.services.paths import output_dir_for
from live.services.lifecycle import start_broadcast, stop_broadcast
from live.services.mock_source import fixture_dir
from live.workers.packager import Packager
from live.services.viewer_links import mint_viewer_link
from live.services.viewers import heartbeat, join_viewer, leave

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_air(event):
    return start_broadcast(event, "mock", "test")[0]


@pytest.fixture(autouse=True)
def fresh_probe_cache():
    samples._frames_by_segment.clear()
    yield
    samples._frames_by_segment.clear()


def later(seconds):
    return timezone.now() + timedelta(seconds=seconds)


# Watching now -----------------------------------------------------------------


def test_a_joined_viewer_is_watching_now(on_air):
    join_viewer(on_air, "viewer-one-0001")

    assert watching_now(on_air) == 1
    assert audience_of(on_air) == {"watchingNow": 1, "uniqueViewers": 1, "peakWatching": 1}


def test_a_viewer_not_heard_from_within_the_window_drops_out(on_air, settings):
    settings.LIVE_WATCHING_WINDOW_SECONDS = 60
    join_viewer(on_air, "viewer-one-0001")

    assert watching_now(on_air, now=later(59)) == 1
    assert watching_now(on_air, now=later(61)) == 0


def test_a_heartbeat_keeps_a_viewer_watching(on_air, settings):
    settings.LIVE_WATCHING_WINDOW_SECONDS = 60
    join_viewer(on_air, "viewer-one-0001")

    assert heartbeat(on_air, "viewer-one-0001", now=later(50)) is True

    assert watching_now(on_air, now=later(100)) == 1


def test_a_heartbeat_of_a_page_that_never_joined_says_so(on_air):
    assert heartbeat(on_air, "viewer-one-0001") is False
    assert not Viewer.objects.exists()


def test_leaving_drops_the_viewer_at_once_but_keeps_it_as_a_unique_viewer(on_air):
    join_viewer(on_air, "viewer-one-0001")
    join_viewer(on_air, "viewer-two-0002")

    assert leave(on_air, "viewer-one-0001") is True

    assert audience_of(on_air) == {"watchingNow": 1, "uniqueViewers": 2, "peakWatching": 2}


def test_a_page_that_comes_back_after_leaving_counts_again(on_air):
    join_viewer(on_air, "viewer-one-0001")
    leave(on_air, "viewer-one-0001")

    heartbeat(on_air, "viewer-one-0001")

    assert watching_now(on_air) == 1
    assert Viewer.objects.count() == 1


def test_joining_twice_is_one_viewer_and_counts_as_a_heartbeat(on_air, settings):
    settings.LIVE_WATCHING_WINDOW_SECONDS = 60
    join_viewer(on_air, "viewer-one-0001")

    assert join_viewer(on_air, "viewer-one-0001", now=later(50)) is False

    assert watching_now(on_air, now=later(100)) == 1
    assert Viewer.objects.count() == 1


def test_nobody_watches_an_ended_broadcast_but_its_audience_is_kept(event, on_air):
    for viewer in ("viewer-one-0001", "viewer-two-0002", "viewer-three-003"):
        join_viewer(on_air, viewer)

    stop_broadcast(event, "test")
    on_air.refresh_from_db()

    assert audience_of(on_air) == {"watchingNow": 0, "uniqueViewers": 3, "peakWatching": 3}


def test_watching_now_counts_only_that_broadcast(event, on_air):
    tee = create_camera(event, "tee-1", "1st tee")
    other = start_broadcast(tee, "mock", "test")[0]
    join_viewer(on_air, "viewer-one-0001")
    join_viewer(other, "viewer-two-0002")
    join_viewer(other, "viewer-three-003")

    assert (watching_now(on_air), watching_now(other)) == (1, 2)


def test_no_broadcast_has_no_audience():
    assert audience_of(None) == {"watchingNow": 0, "uniqueViewers": 0, "peakWatching": 0}
    assert watching_now(None) == 0


# Peak -------------------------------------------------------------------------


def test_the_peak_is_the_most_watching_at_once(on_air):
    for viewer in ("viewer-one-0001", "viewer-two-0002", "viewer-three-003"):
        join_viewer(on_air, viewer)
    leave(on_air, "viewer-one-0001")
    leave(on_air, "viewer-two-0002")

    on_air.refresh_from_db()
    assert on_air.peak_watching == 3
    assert audience_of(on_air)["peakWatching"] == 3


def test_a_viewer_coming_back_into_the_window_can_raise_the_peak(on_air, settings):
    settings.LIVE_WATCHING_WINDOW_SECONDS = 60
    join_viewer(on_air, "viewer-one-0001")
    join_viewer(on_air, "viewer-two-0002", now=later(90))  # the first one dropped out
    on_air.refresh_from_db()
    assert on_air.peak_watching == 1

    heartbeat(on_air, "viewer-one-0001", now=later(95))

    on_air.refresh_from_db()
    assert on_air.peak_watching == 2


def test_the_peak_never_goes_down(on_air):
    Broadcast.objects.filter(pk=on_air.pk).update(peak_watching=7)

    join_viewer(on_air, "viewer-one-0001")

    on_air.refresh_from_db()
    assert on_air.peak_watching == 7


# Watching past the link's expiry: only the live broadcast ------------------------


def test_a_viewer_of_an_ended_broadcast_is_not_admitted_past_the_expiry(event, on_air):
    token, claims, link = mint_viewer_link(on_air, 60, "test")
    join_viewer(on_air, "viewer-one-0001", link=link)
    after_expiry = claims.expires + 5
    watching = check_viewer_access(
        event.pk, token, on_air, viewer_id="viewer-one-0001", now=after_expiry
    )
    assert watching.can_play  # the broadcast it joined is live: it watches on

    stop_broadcast(event, "test")
    next_broadcast = start_broadcast(event, "mock", "test")[0]

    access = check_viewer_access(
        event.pk, token, next_broadcast, viewer_id="viewer-one-0001", now=after_expiry
    )
    assert access.problem == "expired"
    assert Viewer.objects.filter(viewer_id="viewer-one-0001").count() == 1  # kept


# Samples ----------------------------------------------------------------------


def test_a_sample_of_a_mock_broadcast_has_its_watching_count_bitrate_and_frame_rate(on_air):
    join_viewer(on_air, "viewer-one-0001")

    [sample] = samples.take_samples(on_air.started_at + timedelta(seconds=1))

    assert sample.broadcast == on_air
    assert sample.watching == 1
    # The fixture: 2-second segments of 91-108 KB at 30 frames a second.
    assert 350 <= sample.bitrate_kbps <= 450
    assert sample.fps == 30


def test_samples_are_taken_at_most_every_sample_seconds(on_air, settings):
    settings.LIVE_SAMPLE_SECONDS = 10
    start = timezone.now()

    for offset in (0, 3, 9, 10, 15, 21):
        samples.take_samples(start + timedelta(seconds=offset))

    times = BroadcastSample.objects.values_list("at", flat=True)
    assert [(at - start).total_seconds() for at in times] == [0, 10, 21]


def test_only_live_broadcasts_are_sampled(event, on_air):
    stop_broadcast(event, "test")

    assert samples.take_samples() == []


def test_each_segment_is_probed_once(on_air, monkeypatch):
    probed = []
    real_probe = samples._probe_frames
    monkeypatch.setattr(
        samples, "_probe_frames", lambda path: probed.append(path) or real_probe(path)
    )
    start = on_air.started_at

    for step in range(12):  # 120 s of samples; the fixture has four segments
        samples.take_samples(start + timedelta(seconds=10 * step))

    assert BroadcastSample.objects.count() == 12
    assert len(probed) == len(set(probed)) <= 4


def rtmp_broadcast_with_a_segment(event, data_dir):
    camera = create_camera(event, "tee-1", "1st tee", source="rtmp")
    broadcast = start_broadcast(camera, "rtmp", "test")[0]
    folder = output_dir_for(broadcast)
    folder.mkdir(parents=True)
    shutil.copy(fixture_dir() / "seg001.ts", folder / "7.ts")
    (folder / "index.m3u8").write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:6\n"
        "#EXTINF:1.0,\n6.ts\n#EXTINF:2.000,\n7.ts\n"
    )
    return broadcast


def test_an_ingest_sample_measures_the_newest_finished_segment(event, data_dir):
    broadcast = rtmp_broadcast_with_a_segment(event, data_dir)

    [sample] = samples.take_samples()

    size = (fixture_dir() / "seg001.ts").stat().st_size
    assert sample.broadcast == broadcast
    assert sample.bitrate_kbps == round(size * 8 / 2.0 / 1000, 1)
    assert sample.fps == 30


def test_an_ingest_broadcast_with_no_segment_yet_is_sampled_without_rates(event):
    camera = create_camera(event, "tee-1", "1st tee", source="rtmp")
    start_broadcast(camera, "rtmp", "test")

    [sample] = samples.take_samples()

    assert (sample.watching, sample.bitrate_kbps, sample.fps) == (0, None, None)


def test_without_ffprobe_the_frame_rate_is_left_out(event, data_dir, monkeypatch):
    rtmp_broadcast_with_a_segment(event, data_dir)
    monkeypatch.setenv("PATH", "/nonexistent")

    [sample] = samples.take_samples()

    assert sample.bitrate_kbps is not None
    assert sample.fps is None


def test_the_newest_segment_is_the_last_one_listed():
    playlist = "#EXTM3U\n#EXTINF:1.5,\na.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:0.9,\nb.ts\n"

    assert samples.newest_segment(playlist) == ("b.ts", 0.9)
    assert samples.newest_segment("#EXTM3U\n") is None


def test_the_packager_takes_samples_and_survives_a_sampling_error(on_air, monkeypatch, caplog):
    Packager(owner="test").reconcile()
    assert BroadcastSample.objects.filter(broadcast=on_air).count() == 1

    def broken(now=None):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(samples, "take_samples", broken)
    with caplog.at_level(logging.ERROR, logger="live.packager"):
        Packager(owner="test").reconcile()  # does not raise

    assert "taking chart samples failed" in caplog.text


def test_the_series_is_the_samples_oldest_first(on_air):
    start = timezone.now()
    for offset, watching in ((20, 3), (0, 1), (10, 2)):
        BroadcastSample.objects.create(
            broadcast=on_air, at=start + timedelta(seconds=offset), watching=watching
        )

    series = series_of(on_air)

    assert series.watching == [1, 2, 3]
    assert series.bitrate_kbps == [None, None, None]
    assert len(series) == 3
    assert len(series_of(on_air, points=2)) == 2
    assert series_of(on_air, points=2).watching == [2, 3]
    assert len(series_of(None)) == 0
