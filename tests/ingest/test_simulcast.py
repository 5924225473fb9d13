"""Simulcast to a local nginx-rtmp acting as the target (YouTube, Facebook…).

The camera pushes SRT to the packager; the packager's push copies the live HLS
output to the target, which records what arrives; ffprobe decodes it. Killing the
target leaves the camera's HLS going while the push retries on its own, and
resumes when the target is back.
"""

import os
import time
from pathlib import Path

import pytest

from live.models import Broadcast, SimulcastTarget
from live.workers.simulcast import SIMULCAST_MARKER
from tests.ingest.support import (
    RTMP_MODULE,
    playlist_segments,
    probe_codecs,
    process_env,
    wait_for_playable_segments,
)
from tests.processes import NGINX, free_tcp_port, stop_process, tcp_open, wait_for

pytestmark = [pytest.mark.ingest, pytest.mark.django_db(transaction=True)]

STREAM_KEY = "target-secret-key-8841"
TARGET_CONFIG = """load_module {module};
worker_processes 1;
{user}
error_log {prefix}/error.log;
pid {prefix}/nginx.pid;
events {{ worker_connections 64; }}
rtmp {{
  server {{
    listen 127.0.0.1:{port};
    application target {{ live on; record all; record_path {record}; }}
  }}
}}
"""


def start_target(procs, tmp_path, port, name="target"):
    prefix = tmp_path / name
    record = prefix / "record"
    record.mkdir(parents=True, exist_ok=True)
    record.chmod(0o777)
    config = prefix / "nginx.conf"
    config.write_text(
        TARGET_CONFIG.format(
            module=RTMP_MODULE,
            prefix=prefix,
            port=port,
            record=record,
            # The workers write the recording under pytest's private (0700) tmp folders.
            user="user root;" if os.geteuid() == 0 else "",
        )
    )
    process = procs.start(
        f"{name}-nginx", [NGINX, "-c", str(config), "-p", str(prefix), "-g", "daemon off;"]
    )
    wait_for(lambda: tcp_open(port), 10, "the target nginx-rtmp to listen")
    return process, record


def push_pids(target_id):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and process_env(int(entry.name)).get(SIMULCAST_MARKER) == str(
            target_id
        ):
            found.append(int(entry.name))
    return found


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_push_delivers_a_decodable_stream_and_a_dead_target_only_retries(
    api, event, start_packager, camera, data_dir, procs, tmp_path
):
    port = free_tcp_port()
    target_process, record = start_target(procs, tmp_path, port)
    start_packager()
    started = api.start(event.pk, "srt")
    assert started.status == 201, started.text
    broadcast = Broadcast.objects.get(pk=started.json()["broadcastId"])
    camera(started.json()["ingest"]["url"], "mpegts")
    folder = data_dir / "hls" / broadcast.stream_name
    wait_for_playable_segments(folder, count=2, timeout=20)

    added = api.call(
        "POST",
        f"/events/{event.pk}/cameras/main/simulcast",
        {
            "name": "Local target",
            "url": f"rtmp://127.0.0.1:{port}/target",
            "streamKey": STREAM_KEY,
        },
    )
    assert added.status == 201, added.text
    target_id = added.json()["id"]
    wait_for(lambda: SimulcastTarget.objects.get(pk=target_id).state == "sending", 20, "sending")
    recorded = record / f"{STREAM_KEY}.flv"
    wait_for(lambda: recorded.exists() and recorded.stat().st_size > 150_000, 20, "recording")
    assert probe_codecs(recorded) == {"video": "h264", "audio": "aac"}
    [first_push] = push_pids(target_id)

    if os.environ.get("SIMULCAST_MEASURE_CPU"):
        before, start = cpu_seconds(first_push), time.monotonic()
        time.sleep(10)
        share = (cpu_seconds(first_push) - before) / (time.monotonic() - start)
        print(f"\nCPU of one simulcast push over 10 s: {share * 100:.1f} % of a core")

    stop_process(target_process)
    wait_for(lambda: SimulcastTarget.objects.get(pk=target_id).state == "retrying", 20, "retrying")
    assert SimulcastTarget.objects.get(pk=target_id).last_error
    newest = playlist_segments(folder)[-1]
    wait_for(lambda: playlist_segments(folder)[-1] != newest, 5, "new HLS segments")
    newest = playlist_segments(folder)[-1]
    wait_for(lambda: playlist_segments(folder)[-1] != newest, 5, "more HLS segments")
    assert api.status(event.pk).json()["health"] == "receiving"
    # The push is tried again on its own, by a new ffmpeg, until the target is back.
    # (A refused connection ends each retry within a fraction of a second, too fast
    # to catch in /proc on a busy box; the target coming back is what proves it.)
    _, second_record = start_target(procs, tmp_path, port, name="target-again")
    resumed = second_record / f"{STREAM_KEY}.flv"
    wait_for(
        lambda: resumed.exists() and resumed.stat().st_size > 50_000, 45, "the push to resume"
    )
    wait_for(lambda: SimulcastTarget.objects.get(pk=target_id).state == "sending", 10, "sending")
    assert first_push not in push_pids(target_id)

    logs = [path.read_text(errors="replace") for path in (data_dir / "simulcast").iterdir()]
    logs.append(procs.logs(tail=10**6))
    assert logs and not [text for text in logs if STREAM_KEY in text]
    assert STREAM_KEY not in api.call("GET", f"/events/{event.pk}/cameras/main/simulcast").text


def test_the_mock_camera_is_pushed_from_its_looped_fixture(
    api, event, start_packager, procs, tmp_path
):
    port = free_tcp_port()
    _, record = start_target(procs, tmp_path, port)
    start_packager()
    assert api.start(event.pk, "mock").status == 201
    added = api.call(
        "POST",
        f"/events/{event.pk}/cameras/main/simulcast",
        {
            "name": "Local target",
            "url": f"rtmp://127.0.0.1:{port}/target",
            "streamKey": STREAM_KEY,
        },
    )
    target_id = added.json()["id"]
    recorded = record / f"{STREAM_KEY}.flv"
    wait_for(lambda: recorded.exists() and recorded.stat().st_size > 100_000, 20, "recording")
    assert probe_codecs(recorded) == {"video": "h264", "audio": "aac"}
    assert SimulcastTarget.objects.get(pk=target_id).state == "sending"
    assert api.stop(event.pk).status == 200
    wait_for(lambda: not push_pids(target_id), 3, "the push to stop with the camera")
    wait_for(lambda: SimulcastTarget.objects.get(pk=target_id).state == "", 3, "health cleared")
