"""A tiny RTSP camera for the tests: GStreamer's RTSP server with a test pattern.

Run with Debian's Python, not the project's virtual environment (it needs the
system's PyGObject): ``/usr/bin/python3 tests/ingest/rtsp_server.py --port 8554``.
Serves ``rtsp://USER:PASSWORD@127.0.0.1:PORT/tee``: H.264 (x264enc, a keyframe a
second) and AAC, with Basic authentication when --user and --password are given.
With --udp-ts PORT it relays instead an MPEG-TS (H.264/AAC) stream that arrives on
127.0.0.1:PORT over UDP, e.g. from ffmpeg (bench/ingest.py uses this for stamped frames).
Prints "ready" once it listens. Packages: gir1.2-gst-rtsp-server-1.0, python3-gi,
gstreamer1.0-plugins-{base,good,bad,ugly} (scripts/setup.sh --media installs them).
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

VIDEO = (
    "videotestsrc is-live=true pattern=smpte "
    "! video/x-raw,width={width},height={height},framerate={rate}/1 "
    "! x264enc tune=zerolatency speed-preset=veryfast key-int-max={rate} bitrate=600 "
    "! video/x-h264,profile=main ! rtph264pay name=pay0 pt=96 config-interval=1"
)
RELAY = (
    "udpsrc address=127.0.0.1 port={port} buffer-size=4194304 "
    'caps="video/mpegts,systemstream=(boolean)true" '
    "! tsdemux name=demux latency=50 "  # its default, 700 ms, is a decoder's buffer
    "demux. ! queue ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=1 "
    "demux. ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97"
)
AUDIO = (
    "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample "
    "! audio/x-raw,rate=44100,channels=1 ! {aac} bitrate=64000 "
    "! rtpmp4gpay name=pay1 pt=97"
)


def aac_encoder():
    for name in ("voaacenc", "avenc_aac", "fdkaacenc"):
        if Gst.ElementFactory.find(name):
            return name
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/tee")
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--size", default="426x240")
    parser.add_argument("--rate", type=int, default=30)
    parser.add_argument("--udp-ts", type=int, default=0, help="relay MPEG-TS from this port")
    args = parser.parse_args()

    Gst.init(None)
    width, height = args.size.split("x")
    if args.udp_ts:
        parts = [RELAY.format(port=args.udp_ts)]
    else:
        parts = [VIDEO.format(width=width, height=height, rate=args.rate)]
        encoder = aac_encoder()
        if encoder:
            parts.append(AUDIO.format(aac=encoder))
        else:
            print("no AAC encoder: serving video only", file=sys.stderr)

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch("( " + " ".join(parts) + " )")
    factory.set_shared(True)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "camera")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        role, _ = Gst.Structure.from_string(
            "camera, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
        )
        factory.add_role_from_structure(role)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"could not listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print("ready", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
