"""Bench: camera to viewer through each ingest (RTMP, SRT, RTSP, WHIP), with real processes.

    .venv/bin/python bench/ingest.py
    .venv/bin/python bench/ingest.py --sources srt --seconds 8 --warmup 4 --rounds 3
    .venv/bin/python bench/ingest.py whip                 # WHIP: H.264 copied and VP8 transcoded
    BENCH_KEEP=1 .venv/bin/python bench/ingest.py     # keep logs and segments

A throw-away world (bench/harness.py: SQLite, data folder, random signing key)
runs gunicorn, nginx with the rendered config (signed /hls/ and the RTMP ingest),
and the packager (`manage.py livepackager`), on free loopback ports. For each
source the bench starts a broadcast over the API, points a camera at it, opens
the viewer page through nginx in Debian's Chromium and measures:

- **first playable**: from the camera's first frame to the first segment that
  index.m3u8 lists (the folder is polled every 20 ms). For the RTSP pull the camera
  is already streaming, so this is from `start` (the packager dials the camera).
- **packager delay**: for each segment, its file's mtime minus the moment its
  content ended (the capture time of its last frame + 1/30 s), read back from the
  picture itself (below). Also when the playlist first listed it.
- **glass-to-glass**: in the viewer page, for each frame Chromium presents
  (requestVideoFrameCallback), the presentation time minus the capture time
  stamped in that frame, over --seconds after --warmup. With player.js's hls.js
  settings (the page as shipped) and with candidate live-sync settings (the page's
  hls.js instance is replaced at load by one with those settings, same URL
  re-signing); each in --rounds fresh pages, interleaved, since a viewer's latency
  depends on where in a segment its player happened to start.
- **packager CPU and RSS**: /proc/<pid>/stat (utime+stime) and VmRSS of the
  process that repackages, over 10 s: the packager's ffmpeg for SRT/RTSP (-c
  copy), nginx's worker (nginx-rtmp) for RTMP, `manage.py runwhip` and its ffmpeg
  together for WHIP (bench/whip_source.py: an aiortc publisher in this process).

How capture time gets into the stream: the camera is this script. It draws every
720p30 frame itself (yuv420p, piped to ffmpeg -> libx264 veryfast zerolatency,
GOP 30 = the 1 s segment, CBR 2.5 Mbit/s with filler, plus AAC from a sine) and,
just before handing the frame to the encoder, writes the wall clock into the top
48 rows as a barcode: 40 blocks of 32 px, 36 bits of (epoch ms mod 2^36) and a
4-bit checksum. The page draws those rows of each presented frame onto a canvas,
decodes the barcode and subtracts it from performance.timeOrigin +
expectedDisplayTime; frames whose checksum fails are counted and dropped. The same
decoder reads segments (ffmpeg decodes the band to gray). Both clocks are this
machine's, so no synchronisation is needed, and the figure covers encoding,
transport, packaging, HTTP, hls.js buffering, decoding and presentation: capture
to display. (EXT-X-PROGRAM-DATE-TIME is not used: ffmpeg 5.1 stamps it from when
the packager started writing, not from capture.)

Paths: RTMP: camera -> nginx-rtmp (on_publish -> Django) -> HLS. SRT: camera ->
the packager's ffmpeg listener (passphrase, latency 200 ms) -> HLS. RTSP: camera
-> MPEG-TS over UDP -> GStreamer's RTSP server (tests/ingest/rtsp_server.py
--udp-ts, as an IP camera would serve it) -> the packager's ffmpeg pull over TCP
-> HLS. That relay hop is tuned not to buffer (no TS mux delay, tsdemux latency 50
ms; with GStreamer's defaults it added about 1.4 s), but it is still a hop a real
camera does not have.
Goals (issue 4): packager delay <= 0.5 s; glass-to-glass <= 3 s with 1 s segments.
The camera, Chromium and the servers share this machine's cores: figures are
noisy; run it twice.
"""

import argparse
import json
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from whip_source import PATHS as WHIP_PATHS
from whip_source import WHIP_SOURCES, WhipCamera, measure_together, wait_ffmpeg_child
from harness import (
    BASE_DIR,
    EVENT_ID,
    NGINX,
    PYTHON,
    World,
    free_port,
    http,
    machine_note,
    markdown_table,
)

WIDTH, HEIGHT, FPS = 1280, 720, 30
BAND = 48  # rows of barcode at the top of each frame
BLOCKS, BLOCK, BITS = 40, 32, 36
MOD = 2**BITS
SYSTEM_PYTHON = "/usr/bin/python3"
RTSP_SERVER = BASE_DIR / "tests" / "ingest" / "rtsp_server.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip

# (label, hls.js options over hls.js's defaults; None = the page as shipped)
PLAYER_CONFIGS = [
    (
        "player.js as shipped (liveSyncDuration: 1.5, liveMaxLatencyDuration: 4, "
        "maxLiveSyncPlaybackRate: 1.2)",
        None,
    ),
    ("hls.js defaults (liveSyncDurationCount: 3)", {}),
    ("liveSyncDurationCount: 2", {"liveSyncDurationCount": 2}),
    (
        "liveSyncDuration: 2, liveMaxLatencyDuration: 5, maxLiveSyncPlaybackRate: 1.1",
        {"liveSyncDuration": 2, "liveMaxLatencyDuration": 5, "maxLiveSyncPlaybackRate": 1.1},
    ),
]


# The stamped camera ----------------------------------------------------------------------


def barcode_bits(value):
    value %= MOD
    check = sum((value >> (4 * k)) & 15 for k in range(BITS // 4)) % 16
    return [(value >> (BITS - 1 - i)) & 1 for i in range(BITS)] + [
        (check >> (3 - i)) & 1 for i in range(4)
    ]


def read_barcode(row):
    """The stamp (ms mod 2^36) in one gray row of the band, or None if unreadable."""
    bits = []
    for block in range(BLOCKS):
        middle = block * BLOCK + BLOCK // 2
        samples = row[middle - 4 : middle + 5]
        bits.append(1 if sum(samples) / len(samples) > 128 else 0)
    value = int("".join(map(str, bits[:BITS])), 2)
    check = int("".join(map(str, bits[BITS:])), 2)
    if sum((value >> (4 * k)) & 15 for k in range(BITS // 4)) % 16 != check:
        return None
    return value


def unwrap(stamp, near_ms):
    """The full epoch ms of a stamp taken mod 2^36, near a known time."""
    base = near_ms - near_ms % MOD
    candidates = [base - MOD + stamp, base + stamp, base + MOD + stamp]
    return min(candidates, key=lambda value: abs(value - near_ms))


class StampedCamera:
    """Draws 720p30 frames with the wall clock in a barcode and feeds ffmpeg in real time."""

    def __init__(self, world, name, output):
        self.command = [
            "ffmpeg", "-hide_banner", "-loglevel", "warning",
            "-use_wallclock_as_timestamps", "1",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{WIDTH}x{HEIGHT}",
            "-framerate", str(FPS), "-i", "pipe:0",
            "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-map", "0:v", "-map", "1:a", "-fps_mode", "cfr", "-r", str(FPS),
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
            "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0",
            "-b:v", "2500k", "-maxrate", "2500k", "-minrate", "2500k", "-bufsize", "2500k",
            "-x264-params", "nal-hrd=cbr", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "96k",
            *output,
        ]  # fmt: skip
        log = open(world.root / f"{name}.log", "wb")
        self.process = subprocess.Popen(
            self.command, cwd=BASE_DIR, stdin=subprocess.PIPE, stdout=log, stderr=log
        )
        world.processes.append((name, self.process))
        self.first_frame_at = None
        self.dropped_frames = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._feed, daemon=True)
        self.thread.start()

    def _feed(self):
        luma = bytearray([0x60]) * (WIDTH * HEIGHT)
        chroma = bytes([128]) * (WIDTH * HEIGHT // 2)
        white, black = bytes([235]) * BLOCK, bytes([16]) * BLOCK
        square, blank = bytes([200]) * 160, bytes([0x60]) * 160
        start = time.monotonic()
        frame, x = 0, None
        try:
            while not self.stopping.is_set():
                # A camera that falls behind drops frames rather than queueing them
                # (ffmpeg stamps frames by arrival and keeps a constant 30 fps).
                slot = int((time.monotonic() - start) * FPS)
                if slot > frame:
                    self.dropped_frames += slot - frame
                    frame = slot
                delay = start + frame / FPS - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                for y in range(300, 460):  # something moving: a square
                    if x is not None:
                        luma[y * WIDTH + x : y * WIDTH + x + 160] = blank
                    new_x = (frame * 8) % (WIDTH - 160)
                    luma[y * WIDTH + new_x : y * WIDTH + new_x + 160] = square
                x = new_x
                captured = time.time()
                row = b"".join(
                    white if bit else black for bit in barcode_bits(int(captured * 1000))
                )
                luma[: WIDTH * BAND] = row * BAND
                self.process.stdin.write(luma)
                self.process.stdin.write(chroma)
                self.process.stdin.flush()
                if self.first_frame_at is None:
                    self.first_frame_at = captured
                frame += 1
        except (BrokenPipeError, ValueError, OSError):
            pass

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# Watching the HLS folder -----------------------------------------------------------------


def segment_stamps(path):
    """(first, last) capture stamps (ms mod 2^36) of a segment's frames, or None."""
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-an",
         "-vf", f"crop={WIDTH}:{BAND}:0:0,format=gray", "-f", "rawvideo", "pipe:1"],
        capture_output=True, timeout=30,
    )  # fmt: skip
    size = WIDTH * BAND
    frames = len(result.stdout) // size
    if result.returncode != 0 or frames == 0:
        return None

    def stamp(index):
        offset = index * size + (BAND // 2) * WIDTH
        return read_barcode(result.stdout[offset : offset + WIDTH])

    return stamp(0), stamp(frames - 1)


class FolderWatch:
    """Polls index.m3u8 every 20 ms; decodes the stamps of each new segment."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.first_playable_at = None
        self.segments = {}  # name -> dict(listed_at, mtime, first, last)
        self.queue = queue.Queue()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._poll, daemon=True),
            threading.Thread(target=self._decode, daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def _poll(self):
        while not self.stopping.wait(0.02):
            try:
                lines = (self.folder / "index.m3u8").read_text().splitlines()
            except (FileNotFoundError, UnicodeDecodeError):
                continue
            now = time.time()
            for name in (line for line in lines if line and not line.startswith("#")):
                if name in self.segments:
                    continue
                try:
                    mtime = (self.folder / name).stat().st_mtime
                except FileNotFoundError:
                    continue
                self.segments[name] = {"listed_at": now, "mtime": mtime}
                if self.first_playable_at is None:
                    self.first_playable_at = now
                self.queue.put(name)

    def _decode(self):
        while not self.stopping.is_set():
            try:
                name = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                stamps = segment_stamps(self.folder / name)
            except (subprocess.TimeoutExpired, OSError):
                stamps = None
            if stamps:
                self.segments[name]["first"], self.segments[name]["last"] = stamps

    def wait_playable(self, timeout, camera, world):
        deadline = time.monotonic() + timeout
        while self.first_playable_at is None:
            if time.monotonic() > deadline or camera.process.poll() is not None:
                logs = "\n".join(
                    f"--- {path.name}\n" + path.read_text(errors="replace")[-1500:]
                    for path in sorted(world.root.glob("*.log"))
                    + sorted(self.folder.parent.glob(".*.log"))
                )
                raise SystemExit(
                    f"no playable segment in {self.folder} within {timeout} s "
                    f"(camera exit code {camera.process.poll()})\n{logs}"
                )
            time.sleep(0.02)
        return self.first_playable_at

    def delays(self):
        """[(packager delay, listed delay)] in seconds for segments with a readable end."""
        found = []
        for segment in list(self.segments.values()):
            if segment.get("last") is None:
                continue
            ended = unwrap(segment["last"], segment["mtime"] * 1000) / 1000 + 1 / FPS
            found.append((segment["mtime"] - ended, segment["listed_at"] - ended))
        return found

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=35)


# CPU and memory of the repackaging process -----------------------------------------------


def children_of(parent_pid):
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent_pid:
            found.append(int(entry.name))
    return found


def cpu_ticks(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_process(pid, seconds=10.0):
    """(CPU % of one core, peak RSS in MB) of pid over `seconds`."""
    start_ticks, start = cpu_ticks(pid), time.monotonic()
    peak = rss_kb(pid)
    while time.monotonic() - start < seconds:
        time.sleep(0.5)
        peak = max(peak, rss_kb(pid))
    used = (cpu_ticks(pid) - start_ticks) / os.sysconf("SC_CLK_TCK")
    return 100 * used / (time.monotonic() - start), peak / 1024


# The viewer page --------------------------------------------------------------------------

MEASURE_JS = """
() => {
  const video = document.querySelector('video');
  const W = %(width)d, BLOCKS = %(blocks)d, BLOCK = %(block)d, BITS = %(bits)d;
  const MOD = 2 ** BITS;
  const canvas = document.createElement('canvas');
  canvas.width = W; canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const state = window.__g2g = window.__g2g || { samples: [], bad: 0, waiting: 0, gen: 0 };
  const gen = ++state.gen;
  video.addEventListener('waiting', () => state.waiting++);
  function decode() {
    const vh = video.videoHeight, vw = video.videoWidth;
    const y = Math.floor(vh * %(row)d / %(height)d);
    ctx.drawImage(video, 0, y, vw, 1, 0, 0, W, 1);
    const data = ctx.getImageData(0, 0, W, 1).data;
    let value = 0, check = 0;
    for (let i = 0; i < BLOCKS; i++) {
      let luma = 0;
      for (let dx = -4; dx <= 4; dx++) {
        const p = (i * BLOCK + BLOCK / 2 + dx) * 4;
        luma += 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2];
      }
      const bit = luma / 9 > 128 ? 1 : 0;
      if (i < BITS) value = value * 2 + bit; else check = check * 2 + bit;
    }
    let sum = 0, v = value;
    for (let k = 0; k < BITS / 4; k++) { sum += v %% 16; v = Math.floor(v / 16); }
    return sum %% 16 === check ? value : null;
  }
  function onFrame(now, meta) {
    if (gen !== state.gen) return;
    const stamp = decode();
    if (stamp === null) state.bad++;
    else {
      const shown = performance.timeOrigin + meta.expectedDisplayTime;
      state.samples.push(((shown %% MOD) - stamp + MOD) %% MOD);
    }
    video.requestVideoFrameCallback(onFrame);
  }
  video.requestVideoFrameCallback(onFrame);
}
""" % {
    "width": WIDTH,
    "blocks": BLOCKS,
    "block": BLOCK,
    "bits": BITS,
    "row": BAND // 2,
    "height": HEIGHT,
}

# A new hls.js on the page's video: hls.js's defaults plus `config`, re-signing as player.js does.
RECONFIGURE_JS = """
(config) => {
  const video = document.querySelector('video');
  if (video._hls) video._hls.destroy();
  const SIGNED = /^(.*\\/hls\\/)[^/]+\\/[0-9]+\\/(.*)$/;
  function resign(requestUrl) {
    const request = SIGNED.exec(requestUrl);
    const newest = SIGNED.exec(new URL(video.dataset.hlsSrc, location.href).href);
    if (!request || !newest) return requestUrl;
    return newest[0].slice(0, newest[0].length - newest[2].length) + request[2];
  }
  const hls = new Hls(Object.assign({
    liveDurationInfinity: true,
    xhrSetup: (xhr, url) => xhr.open('GET', resign(url), true),
  }, config));
  hls.loadSource(video.dataset.hlsSrc);
  hls.attachMedia(video);
  video._hls = hls;
  video.play().catch(() => {});
}
"""


def playing_time(page):
    return page.evaluate(
        "(() => { const v = document.querySelector('video');"
        " return v && v.videoWidth > 0 ? v.currentTime : null; })()"
    )


def wait_playing(page, timeout=30):
    deadline = time.monotonic() + timeout
    first = None
    while time.monotonic() < deadline:
        now = playing_time(page)
        if now is not None and first is None:
            first = now
        elif now is not None and now - first > 0.5:
            return
        time.sleep(0.25)
    raise SystemExit("the viewer page did not start playing")


def measure_page(context, url, config, warmup, seconds):
    """A fresh viewer page (a new viewer's start position), measured after `warmup`."""
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_function("!!(document.querySelector('video') && window.Hls)", timeout=30_000)
        if config is not None:
            page.evaluate(RECONFIGURE_JS, config)
        wait_playing(page)
        page.evaluate(MEASURE_JS)
        time.sleep(warmup)
        page.evaluate("window.__g2g.samples = []; window.__g2g.bad = 0; window.__g2g.waiting = 0")
        latencies = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = page.evaluate("document.querySelector('video')._hls?.latency ?? null")
            if value is not None:
                latencies.append(value)
            time.sleep(0.5)
        state = page.evaluate("window.__g2g")
    finally:
        page.close()
    return {
        "samples": [ms / 1000 for ms in state["samples"]],
        "bad": state["bad"],
        "stalls": state["waiting"],
        "latencies": latencies,
    }


def pooled(results):
    """One result of several rounds: all samples, all stalls."""
    return {
        "samples": sorted(sample for result in results for sample in result["samples"]),
        "bad": sum(result["bad"] for result in results),
        "stalls": sum(result["stalls"] for result in results),
        "hls_latency": statistics.mean(
            [value for result in results for value in result["latencies"]] or [float("nan")]
        ),
        "round_medians": [
            statistics.median(result["samples"]) if result["samples"] else None
            for result in results
        ],
    }


# One source -------------------------------------------------------------------------------


def api(port, key, method, path, body=None):
    status, _, raw = http(port, method, path, {"X-API-Key": key}, body)
    answer = json.loads(raw) if raw else None
    if status >= 400:
        raise SystemExit(f"{method} {path} answered {status}: {answer}")
    return answer


def run_source(source, world, ports, browser, options):
    key, app = world.admin_key, ports["app"]
    # WHIP is the livekit source served by teecam's own WHIP process.
    body = {"source": "livekit" if source in WHIP_SOURCES else source}
    relay = None
    if source == "rtsp":
        relay_port = free_udp_port()
        rtsp_port = free_port()
        world.start(
            "rtsp-server",
            [
                SYSTEM_PYTHON,
                str(RTSP_SERVER),
                "--port",
                str(rtsp_port),
                "--udp-ts",
                str(relay_port),
            ],
            port=rtsp_port,
        )
        # No MPEG-TS decoder delay on the relay hop (and tsdemux latency=50 in the
        # server): a real IP camera serves RTP straight from its encoder.
        relay = StampedCamera(
            world,
            "rtsp-camera",
            ["-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts"]
            + [f"udp://127.0.0.1:{relay_port}?pkt_size=1316"],
        )
        time.sleep(2)  # the camera is on before anyone pulls it
        body["cameraUrl"] = f"rtsp://127.0.0.1:{rtsp_port}/tee"

    started_at = time.time()
    started = api(app, key, "POST", f"/events/{EVENT_ID}/live/start", body)
    broadcast_id = started["broadcastId"]
    ingest = started.get("ingest", {})
    if source == "rtmp":
        camera = StampedCamera(world, "rtmp-camera", ["-f", "flv", ingest["publishUrl"]])
    elif source in WHIP_SOURCES:
        camera = WhipCamera(
            ingest["whipUrl"],
            ingest["bearerToken"],
            WHIP_SOURCES[source],
            (WIDTH, HEIGHT),
            BAND,
            lambda ms: b"".join(
                bytes([235 if bit else 16]) * BLOCK for bit in barcode_bits(ms)
            ).ljust(WIDTH, bytes([0x60])),
        )
    elif source == "srt":
        _wait_child(ports["packager_pid"])
        _wait_udp_bound(int(ingest["url"].split(":")[2].split("?")[0]))
        camera = StampedCamera(world, "srt-camera", ["-f", "mpegts", ingest["url"]])
    else:
        camera = relay
    token = api(app, key, "POST", f"/events/{EVENT_ID}/live/token", {"ttl": 3600})
    stream = api(app, key, "GET", f"/events/{EVENT_ID}/live/status?token={token['token']}")
    stream_name = stream["hlsPath"].split("/")[4]
    watch = FolderWatch(world.root / "live" / "hls" / stream_name)
    try:
        first_playable = watch.wait_playable(30, camera, world)
        begun = started_at if source == "rtsp" else camera.first_frame_at
        row = {
            "source": source,
            "first_playable": first_playable - begun,
            "broadcast": broadcast_id,
        }

        if source == "rtmp":
            worker = [pid for pid in children_of(ports["nginx_pid"]) if _is_nginx_worker(pid)]
            measured = [worker[0]]
        elif source in WHIP_SOURCES:
            whip = ports["whip_pid"]
            measured = [whip, wait_ffmpeg_child(whip, children_of)]
        else:
            measured = [_wait_child(ports["packager_pid"])]
        usage = {}
        meter = threading.Thread(
            target=lambda: usage.update(
                zip(("cpu", "rss"), measure_together(measured, measure_process))
            ),
            daemon=True,
        )
        meter.start()

        context = browser.new_context()
        url = f"http://127.0.0.1:{ports['nginx']}{token['viewerUrl']}"
        results = {label: [] for label, _ in PLAYER_CONFIGS}
        for _ in range(options.rounds):  # interleaved, so drifts in load hit every setting
            for label, config in PLAYER_CONFIGS:
                results[label].append(
                    measure_page(context, url, config, options.warmup, options.seconds)
                )
        context.close()
        row["players"] = [(label, pooled(results[label])) for label, _ in PLAYER_CONFIGS]
        meter.join(timeout=30)
        row.update(usage)
        time.sleep(1.5)  # the last segments' stamps get decoded
        row["delays"] = watch.delays()
        row["dropped_frames"] = camera.dropped_frames
    finally:
        watch.stop()
        api(app, key, "POST", f"/events/{EVENT_ID}/live/stop")
        camera.stop()
        if source == "rtsp":
            world.stop("rtsp-server")
    return row


def _is_nginx_worker(pid):
    try:
        return b"worker process" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _wait_child(parent, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in children_of(parent):
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "ffmpeg":
                    return pid
            except OSError:
                pass
        time.sleep(0.1)
    raise SystemExit("the packager runs no ffmpeg")


def _wait_udp_bound(port, timeout=10):
    """Until something (the packager's SRT listener) has bound the UDP port."""
    deadline = time.monotonic() + timeout
    wanted = f":{port:04X}"  # local_address is HEXIP:HEXPORT
    while time.monotonic() < deadline:
        for table in ("/proc/net/udp", "/proc/net/udp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            if any(line.split()[1].endswith(wanted) for line in lines):
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on UDP port {port}")


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Report -----------------------------------------------------------------------------------


def seconds(value, digits=2):
    return "-" if value is None or value != value else f"{value:.{digits}f} s"


def percentile(values, fraction):
    if not values:
        return None
    return values[min(len(values) - 1, int(round(fraction * (len(values) - 1))))]


PATHS = {
    "rtmp": "camera → nginx-rtmp → HLS",
    "srt": "camera → packager ffmpeg (SRT listener, -c copy) → HLS",
    "rtsp": "camera → GStreamer RTSP → packager ffmpeg pull (-c copy) → HLS",
    **WHIP_PATHS,
}


def report(rows):
    ingest_rows, player_rows = [], []
    for row in rows:
        delays = sorted(delay for delay, _ in row["delays"])
        listed = sorted(listed for _, listed in row["delays"])
        process = {"rtmp": "nginx worker", "whip": "runwhip + ffmpeg"}.get(
            row["source"].split("-")[0], "packager's ffmpeg"
        )
        ingest_rows.append(
            [
                row["source"],
                PATHS[row["source"]],
                seconds(row["first_playable"])
                + (" (from start)" if row["source"] == "rtsp" else ""),
                f"{seconds(percentile(delays, 0.5))} / {seconds(percentile(delays, 0.9))} / "
                f"{seconds(delays[-1] if delays else None)} ({len(delays)})",
                seconds(percentile(listed, 0.5)),
                f"{row.get('cpu', 0):.1f} % ({process})",
                f"{row.get('rss', 0):.1f} MB",
            ]
        )
        for label, result in row["players"]:
            samples = result["samples"]
            player_rows.append(
                [
                    row["source"],
                    label,
                    seconds(percentile(samples, 0.5)),
                    seconds(percentile(samples, 0.9)),
                    " / ".join(seconds(value) for value in result["round_medians"]),
                    seconds(result["hls_latency"]),
                    str(result["stalls"]),
                    f"{len(samples)} ({result['bad']} unreadable)",
                ]
            )
    print()
    print(
        markdown_table(
            [
                "source",
                "path",
                "first frame → first playable segment",
                "packager delay median / p90 / max (segments)",
                "listed in playlist, median",
                "CPU, 720p30 (1 core = 100 %)",
                "RSS",
            ],
            ingest_rows,
        )
    )
    print()
    print(
        markdown_table(
            [
                "source",
                "hls.js settings in the viewer page",
                "glass-to-glass median",
                "p90",
                "median of each page",
                "hls.latency",
                "stalls",
                "frames read",
            ],
            player_rows,
        )
    )
    print()
    print("Goals: packager delay <= 0.5 s, glass-to-glass <= 3 s (1 s segments).")
    dropped = ", ".join(f"{row['source']} {row['dropped_frames']}" for row in rows)
    print(f"Frames the camera dropped for running late: {dropped}. {machine_note()}.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources_shortcut", nargs="?", help="whip: --sources whip,whip-vp8")
    parser.add_argument("--sources", default="rtmp,srt,rtsp")
    parser.add_argument("--seconds", type=float, default=8, help="measuring, per setting")
    parser.add_argument("--warmup", type=float, default=4, help="settling, per setting")
    parser.add_argument("--rounds", type=int, default=2, help="fresh pages per setting")
    options = parser.parse_args()
    if options.sources_shortcut:
        shortcut = options.sources_shortcut
        options.sources = ",".join(WHIP_SOURCES) if shortcut == "whip" else shortcut
    sources = [source.strip() for source in options.sources.split(",") if source.strip()]
    if "rtsp" in sources and not _gstreamer_rtsp():
        print("GStreamer's RTSP server is missing (scripts/setup.sh --media): no rtsp row")
        sources.remove("rtsp")
    for tool in ("ffmpeg", NGINX):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: scripts/setup.sh --media")

    from playwright.sync_api import sync_playwright

    with World() as world:
        srt_low = free_udp_port()
        rtmp_port = free_port()
        whip_port, whip_udp = free_port(), free_udp_port()
        world.env.update(
            {
                "LIVEKIT_WHIP_URL": "",
                "LIVE_WHIP_LISTEN": f"127.0.0.1:{whip_port}",
                "LIVE_WHIP_PUBLIC_URL": f"http://127.0.0.1:{whip_port}/whip",
                "LIVE_WHIP_UDP_PORTS": f"{whip_udp}-{whip_udp + 20}",
                "LIVE_WHIP_ICE_ADDRESS": "127.0.0.1",
                "LIVE_SEGMENT_SECONDS": "1",
                "LIVE_RTMP_PORT": str(rtmp_port),
                "LIVE_SRT_PORTS": f"{srt_low}-{srt_low}",
                "LIVE_BENCH_BARE_VIEW": "0",
            }
        )
        world.setup_django()
        app = world.gunicorn(workers=2)
        nginx_port = world.nginx(app, workers=1, rtmp_port=rtmp_port)
        packager = world.start("packager", [PYTHON, "manage.py", "livepackager", "--poll", "0.25"])
        whip = None
        if any(source in WHIP_SOURCES for source in sources):
            whip = world.start("runwhip", [PYTHON, "manage.py", "runwhip"], port=whip_port)
        ports = {
            "whip_pid": whip.pid if whip else None,
            "app": app,
            "nginx": nginx_port,
            "nginx_pid": world.pid("nginx"),
            "packager_pid": packager.pid,
        }
        rows = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for source in sources:
                    print(f"== {source}", file=sys.stderr)
                    rows.append(run_source(source, world, ports, browser, options))
            finally:
                browser.close()
        report(rows)


def _gstreamer_rtsp():
    probe = "import gi; gi.require_version('GstRtspServer', '1.0')"
    return (
        os.path.exists(SYSTEM_PYTHON)
        and subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0
    )


if __name__ == "__main__":
    main()
