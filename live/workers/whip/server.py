"""The WHIP endpoint (RFC 9725) of ``manage.py runwhip``: an aiohttp app.

``POST /whip/<ingest name>`` with ``Content-Type: application/sdp`` and
``Authorization: Bearer <stream key>`` answers 201 with the SDP answer and
``Location: /whip/<ingest name>/<session id>``; ``DELETE`` on that ends the
session. The rules (which camera, which broadcast, refusals) are in
``live.services.publishing``; here are the HTTP shapes, CORS for the host page's
"Broadcast from this device", and the sessions this process holds.
"""

import hmac
import logging

from aiohttp import web
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from live.log_fields import log_field
from live.services import rate_limits
from live.services.rate_limits import client_address_of
from live.services.publishing import (
    WHIP,
    Publisher,
    PublishRefused,
    admit_publish,
    check_address,
)
from live.services.telemetry import fingerprint
from live.workers.whip.sdp import BadOffer, check_offer
from live.workers.whip.session import Session, UnusableOffer

logger = logging.getLogger("live.whip")

SDP = "application/sdp"
ALLOWED_METHODS = "OPTIONS, POST, DELETE"


def json_error(status, code, detail, headers=None):
    """The project's one error shape (live/http.py), from aiohttp."""
    return web.json_response({"error": code, "detail": detail}, status=status, headers=headers)


class Sessions:
    """This process's sessions, by id and by camera (one publisher per camera)."""

    def __init__(self):
        self.by_id = {}
        self.by_camera = {}

    def __len__(self):
        return len(self.by_id)

    def add(self, session):
        self.by_id[session.id] = session
        self.by_camera[session.ingest_name] = session
        session.on_closed = self.remove

    def remove(self, session):
        self.by_id.pop(session.id, None)
        if self.by_camera.get(session.ingest_name) is session:
            del self.by_camera[session.ingest_name]

    async def close_all(self):
        for session in list(self.by_id.values()):
            await session.close("the WHIP process is stopping")


SESSIONS = web.AppKey("sessions", Sessions)


def _address(request):
    return client_address_of(request.remote or "", request.headers.get("X-Forwarded-For", ""))


def _cors_origin(request):
    origin = request.headers.get("Origin")
    allowed = settings.LIVE_WHIP_ALLOWED_ORIGINS
    if not origin:
        return None
    if "*" in allowed:
        return "*"
    return origin if origin in allowed else None


@web.middleware
async def cors(request, handler):
    """Browsers publish from the host page, another origin in development."""
    if request.method == "OPTIONS":
        response = web.Response(status=204)
    else:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = json_error(exc.status, "http_error", exc.reason)
        except Exception:
            # Never aiohttp's own HTML 500 page: the one error shape, and the log.
            logger.exception("WHIP %s %s failed", request.method, request.path)
            response = json_error(500, "server_error", "The WHIP server failed.")
    origin = _cors_origin(request)
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Expose-Headers"] = "Location"
        response.headers["Access-Control-Max-Age"] = "600"
        if origin != "*":
            response.headers["Vary"] = "Origin"
    if request.method == "OPTIONS":
        response.headers["Allow"] = ALLOWED_METHODS
    return response


def bearer_token(header):
    """The token of an ``Authorization: Bearer …`` header, or ""."""
    scheme, _, token = (header or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _admit(ingest_name, token, address):
    close_old_connections()  # a long-lived process: its connection may have gone stale
    return admit_publish(ingest_name, token, Publisher(WHIP, address))


def _throttled(exc):
    return json_error(429, "throttled", str(exc), {"Retry-After": str(exc.retry_after)})


async def publish(request):
    ingest_name = request.match_info["ingest_name"]
    address = _address(request)
    sessions = request.app[SESSIONS]
    try:
        await sync_to_async(check_address)(address)
    except rate_limits.RateLimited as exc:
        return _throttled(exc)
    if request.content_type != SDP:
        return json_error(415, "unsupported_media_type", f"Send the offer as {SDP}.")
    try:
        offer = check_offer(await request.read())
    except BadOffer as exc:
        return json_error(400, "invalid", str(exc))
    token = bearer_token(request.headers.get("Authorization"))
    try:
        camera, broadcast = await sync_to_async(_admit)(ingest_name, token, address)
    except rate_limits.RateLimited as exc:
        return _throttled(exc)
    except PublishRefused as exc:
        headers = {"WWW-Authenticate": 'Bearer realm="teecam"'} if exc.status == 401 else None
        return json_error(exc.status, exc.code, exc.detail, headers)
    # No await between this check and add(): two publishers cannot both get in.
    if ingest_name in sessions.by_camera:
        return json_error(409, "conflict", "Another publisher is connected to this camera.")
    if len(sessions) >= settings.LIVE_WHIP_MAX_SESSIONS:
        return json_error(
            503,
            "busy",
            f"This server takes at most {settings.LIVE_WHIP_MAX_SESSIONS} WHIP publishers.",
            {"Retry-After": "10"},
        )
    session = Session(camera, broadcast, address)
    sessions.add(session)
    try:
        answer = await session.answer(offer)
    except Exception as exc:
        return await _refuse_offer(sessions, session, exc)
    # A fingerprint, as the RTMP hook logs: it tells keys apart and reveals no character.
    logger.info(
        "%s started from %s (key %s)", session, log_field(address), fingerprint(camera.stream_key)
    )
    return web.Response(
        status=201,
        body=answer.encode(),
        content_type=SDP,
        headers={"Location": f"/whip/{ingest_name}/{session.id}"},
    )


async def _refuse_offer(sessions, session, exc):
    """The answer to an offer that could not be taken; the session is gone either way."""
    if isinstance(exc, (UnusableOffer, ValueError)):
        status, code, detail = 400, "invalid", f"The offer could not be answered: {exc}"
    elif isinstance(exc, OSError):
        status, code, detail = 503, "unavailable", f"No ICE port is free: {exc}"
    else:
        logger.error("%s failed to start", session, exc_info=exc)
        status, code, detail = 500, "server_error", "The WHIP server failed to take the offer."
    try:
        await session.close(f"refused offer: {exc}")
    finally:
        sessions.remove(session)
    return json_error(status, code, detail)


async def end(request):
    address = _address(request)
    try:
        await sync_to_async(check_address)(address)
    except rate_limits.RateLimited as exc:
        return _throttled(exc)
    sessions = request.app[SESSIONS]
    session = sessions.by_id.get(request.match_info["session_id"])
    if session is None or session.ingest_name != request.match_info["ingest_name"]:
        return json_error(404, "not_found", "No such WHIP session (it may have ended).")
    # The session id is the capability (unguessable, only in the 201's Location);
    # a bearer token, when sent, must still be the camera's.
    token = bearer_token(request.headers.get("Authorization"))
    if request.headers.get("Authorization") and not _same(token, session.stream_key):
        return json_error(401, "unauthorized", "Wrong bearer token.")
    await session.close("the publisher sent DELETE")
    return web.Response(status=200)


def _same(a, b):
    return hmac.compare_digest(a.encode(), b.encode())


async def trickle(request):
    return json_error(405, "method_not_allowed", "Trickle ICE is not supported.")


async def _on_shutdown(app):
    await app[SESSIONS].close_all()


def make_app():
    app = web.Application(middlewares=[cors], client_max_size=128 * 1024)
    app[SESSIONS] = Sessions()
    app.router.add_route("POST", "/whip/{ingest_name}", publish)
    app.router.add_route("OPTIONS", "/whip/{ingest_name}", publish)
    app.router.add_route("DELETE", "/whip/{ingest_name}/{session_id}", end)
    app.router.add_route("OPTIONS", "/whip/{ingest_name}/{session_id}", end)
    app.router.add_route("PATCH", "/whip/{ingest_name}/{session_id}", trickle)
    app.on_shutdown.append(_on_shutdown)
    return app
