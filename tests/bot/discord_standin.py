"""A loopback stand-in for the slice of Discord the bot uses: REST and the gateway.

Binds 127.0.0.1 on an ephemeral port. It answers like Discord does for the routes the bot
calls, enforces the rules the bot must respect (3-second interaction acknowledgement,
message and embed size limits, bot-token auth), records every request with its arrival
time, and lets tests inject faults (a 429 with `retry_after`, a dropped gateway).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
INTERACTION_ACK_DEADLINE = 3.0  # seconds Discord gives to acknowledge an interaction
EPHEMERAL = 1 << 6
ALL_PERMISSIONS = str((1 << 50) - 1)

# Discord's documented limits, checked on every message the bot creates.
CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL_LIMIT = 6000
EMBED_LIMITS = {"title": 256, "description": 4096, "footer": 2048, "author": 256}
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25


@dataclass
class Recorded:
    """One REST request as the stand-in received it."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any
    at: float  # time.monotonic() on arrival
    authorization: str | None
    status: int = 0  # what the stand-in answered
    created: dict[str, Any] | None = None  # the message it created, if any


@dataclass
class Fault:
    """Answer the next `times` matching requests with this status and body."""

    method: str
    path_pattern: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int = 1


@dataclass
class SentInteraction:
    """An interaction dispatched to the bot, to find its callback and follow-ups."""

    id: str
    token: str
    payload: dict[str, Any]
    dispatched_at: float
    acknowledged: bool = False


@dataclass
class GatewayOp:
    """One payload the bot sent on the gateway."""

    op: int
    d: Any
    at: float
    path: str


@dataclass
class _Session:
    id: str
    seq: int = 0
    buffer: list[dict[str, Any]] = field(default_factory=list)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def embed_size(embed: dict[str, Any]) -> int:
    """Characters counted against the 6,000 limit, as Discord counts them."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in embed.get("fields", []))
    total += len((embed.get("footer") or {}).get("text", ""))
    total += len((embed.get("author") or {}).get("name", ""))
    return total


def message_problems(body: dict[str, Any]) -> list[str]:
    """Why Discord would reject this message body (empty when it would accept it)."""
    problems: list[str] = []
    content = body.get("content") or ""
    embeds = body.get("embeds") or []
    if len(content) > CONTENT_LIMIT:
        problems.append(f"content has {len(content)} > {CONTENT_LIMIT} characters")
    if len(embeds) > EMBEDS_PER_MESSAGE:
        problems.append(f"{len(embeds)} embeds > {EMBEDS_PER_MESSAGE}")
    if not content and not embeds and not body.get("components"):
        problems.append("empty message")
    total = 0
    for i, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            value = embed.get(key)
            text = (
                value.get("text" if key == "footer" else "name", "")
                if isinstance(value, dict)
                else value
            )
            if text and len(text) > limit:
                problems.append(f"embed {i} {key} has {len(text)} > {limit}")
        fields = embed.get("fields", [])
        if len(fields) > FIELD_COUNT_LIMIT:
            problems.append(f"embed {i} has {len(fields)} fields > {FIELD_COUNT_LIMIT}")
        for f in fields:
            if not f.get("name") or len(f["name"]) > FIELD_NAME_LIMIT:
                problems.append(f"embed {i} field name of {len(f.get('name', ''))} characters")
            if not f.get("value") or len(f["value"]) > FIELD_VALUE_LIMIT:
                problems.append(f"embed {i} field value of {len(f.get('value', ''))} characters")
        if not (embed.get("title") or embed.get("description") or fields):
            problems.append(f"embed {i} is empty")
        total += embed_size(embed)
    if total > EMBED_TOTAL_LIMIT:
        problems.append(f"embeds total {total} > {EMBED_TOTAL_LIMIT}")
    return problems


class DiscordStandin:
    """The REST API and gateway subset the bot uses, served on 127.0.0.1."""

    def __init__(self, *, token: str, heartbeat_interval: float = 1.0) -> None:
        self.token = token
        self.heartbeat_interval = heartbeat_interval
        self._ids = itertools.count(1_300_000_000_000_000_000)
        self.application_id = self.snowflake()
        self.bot_user = self.user_payload(self.application_id, "newsbot", bot=True)
        self.guild_id = self.snowflake()
        self.channel_id = self.snowflake()
        self.other_channel_id = self.snowflake()
        self.dm_channel_id = self.snowflake()
        self.requests: list[Recorded] = []
        self.gateway_ops: list[GatewayOp] = []
        self.interactions: dict[str, SentInteraction] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, dict[str, Any]] = {}  # by name, as last synced
        self.faults: list[Fault] = []
        self.rejected: list[tuple[Recorded, list[str]]] = []
        # Behaviour switches for failure tests.
        self.refuse_identify_with: int | None = None  # e.g. 4014 (disallowed intents)
        self._session: _Session | None = None
        self._socket: web.WebSocketResponse | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        for channel_id, name in ((self.channel_id, "actualites"), (self.other_channel_id, "autre")):
            self.channels[channel_id] = {
                "id": channel_id,
                "type": 0,
                "guild_id": self.guild_id,
                "name": name,
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }

        self.channels[self.dm_channel_id] = {
            "id": self.dm_channel_id,
            "type": 1,
            "recipients": [self.user_payload("1000", "user1000")],
            "last_message_id": None,
        }

    # --- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> DiscordStandin:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/resume", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in list(self._sockets):
            await asyncio.wait_for(ws.close(code=1001), 2)
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- payload builders ---------------------------------------------------------------

    def snowflake(self) -> str:
        return str(next(self._ids))

    def user_payload(self, user_id: str | int, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
            "flags": 0,
            "public_flags": 0,
        }

    def member_payload(self, user: dict[str, Any] | None = None) -> dict[str, Any]:
        member: dict[str, Any] = {
            "roles": [],
            "joined_at": _now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": ALL_PERMISSIONS,
        }
        if user is not None:
            member["user"] = user
        return member

    def _message_payload(
        self,
        *,
        channel_id: str,
        author: dict[str, Any],
        body: dict[str, Any],
        message_type: int = 0,
        webhook_id: str | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self.snowflake(),
            "channel_id": channel_id,
            "author": author,
            "content": body.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": message_type,
            "flags": body.get("flags") or 0,
        }
        if self.channels.get(channel_id, {}).get("type") != 1:
            message["guild_id"] = self.guild_id
        if webhook_id is not None:
            message["webhook_id"] = webhook_id
            message["application_id"] = self.application_id
        if body.get("message_reference"):
            message["message_reference"] = body["message_reference"]
        self.messages[message["id"]] = message
        return message

    # --- REST ---------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw and request.content_type == "application/json" else None
        record = Recorded(
            method=request.method,
            path="/" + request.match_info["tail"],
            query=dict(request.query),
            body=body,
            at=time.monotonic(),
            authorization=request.headers.get("Authorization"),
        )
        response = self._fault_for(record) or self._route(record)
        record.status = response.status
        async with self._changed:
            self.requests.append(record)
            self._changed.notify_all()
        return response

    def _fault_for(self, record: Recorded) -> web.Response | None:
        for fault in self.faults:
            matches = fault.method == record.method and re.fullmatch(
                fault.path_pattern, record.path
            )
            if fault.times > 0 and matches:
                fault.times -= 1
                return _json(fault.body, status=fault.status, headers=fault.headers)
        return None

    def _route(self, r: Recorded) -> web.Response:
        bot_routes: list[tuple[str, str, Callable[..., web.Response]]] = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("PUT", r"/applications/(\d+)/commands", self._put_commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._put_commands),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._create_thread),
            ("POST", r"/channels/(\d+)/typing", self._typing),
        ]
        # Interaction callbacks and follow-ups authenticate with the interaction token.
        token_routes: list[tuple[str, str, Callable[..., web.Response]]] = [
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/@original", self._edit_original),
        ]
        for method, pattern, handler in token_routes:
            match = re.fullmatch(pattern, r.path)
            if method == r.method and match:
                return handler(r, *match.groups())
        for method, pattern, handler in bot_routes:
            match = re.fullmatch(pattern, r.path)
            if method == r.method and match:
                if r.authorization != f"Bot {self.token}":
                    return _error(401, 0, "401: Unauthorized")
                return handler(r, *match.groups())
        return _error(404, 0, f"stand-in has no route {r.method} {r.path}")

    def _get_me(self, r: Recorded) -> web.Response:
        return _json({**self.bot_user, "verified": True, "mfa_enabled": False, "locale": "fr"})

    def _get_application(self, r: Recorded) -> web.Response:
        return _json(
            {
                "id": self.application_id,
                "name": "newsbot",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.user_payload(self.snowflake(), "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
                "rpc_origins": [],
                "summary": "",
            }
        )

    def _get_gateway_bot(self, r: Recorded) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    def _put_commands(self, r: Recorded, application_id: str, guild_id: str = "") -> web.Response:
        if application_id != self.application_id:
            return _error(403, 50001, "Missing Access")
        synced = []
        for command in r.body:
            command = {
                **command,
                "id": self.snowflake(),
                "application_id": self.application_id,
                "version": self.snowflake(),
                "type": command.get("type", 1),
            }
            if guild_id:
                command["guild_id"] = guild_id
            self.commands[command["name"]] = command
            synced.append(command)
        return _json(synced)

    def _create_message(self, r: Recorded, channel_id: str) -> web.Response:
        if channel_id not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        problems = message_problems(r.body)
        if problems:
            self.rejected.append((r, problems))
            return _error(400, 50035, "Invalid Form Body: " + "; ".join(problems))
        reply = bool(r.body.get("message_reference"))
        message = self._message_payload(
            channel_id=channel_id,
            author=self.bot_user,
            body=r.body,
            message_type=19 if reply else 0,
        )
        r.created = message
        return _json(message)

    def _create_thread(self, r: Recorded, channel_id: str, message_id: str) -> web.Response:
        if channel_id not in self.channels:
            return _error(404, 10003, "Unknown Channel")
        name = r.body.get("name", "")
        if not 1 <= len(name) <= 100:
            return _error(400, 50035, "Invalid Form Body: thread name length")
        thread = {
            "id": self.snowflake(),
            "type": 11,
            "guild_id": self.guild_id,
            "parent_id": channel_id,
            "owner_id": self.bot_user["id"],
            "name": name,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": r.body.get("auto_archive_duration", 1440),
                "archive_timestamp": _now_iso(),
                "locked": False,
            },
        }
        self.channels[thread["id"]] = thread
        # Discord tells the creator's gateway too, so the client caches the thread.
        if self._session is not None:
            asyncio.get_running_loop().create_task(
                self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
            )
        return _json(thread, status=201)

    def _typing(self, r: Recorded, channel_id: str) -> web.Response:
        return web.Response(status=204)

    def _callback(self, r: Recorded, interaction_id: str, token: str) -> web.Response:
        sent = self.interactions.get(interaction_id)
        if sent is None or sent.token != token:
            return _error(404, 10062, "Unknown interaction")
        if r.at - sent.dispatched_at > INTERACTION_ACK_DEADLINE:
            return _error(404, 10062, "Unknown interaction")
        if sent.acknowledged:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        kind = r.body["type"]
        data = r.body.get("data") or {}
        resource: dict[str, Any] = {"type": kind}
        if kind == 4:
            problems = message_problems(data)
            if problems:
                self.rejected.append((r, problems))
                return _error(400, 50035, "Invalid Form Body: " + "; ".join(problems))
            resource["message"] = r.created = self._message_payload(
                channel_id=sent.payload["channel_id"],
                author=self.bot_user,
                body=data,
                message_type=20,
                webhook_id=self.application_id,
            )
        sent.acknowledged = True
        return _json(
            {
                "interaction": {
                    "id": interaction_id,
                    "type": sent.payload["type"],
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
                },
                "resource": resource,
            }
        )

    def _followup(self, r: Recorded, application_id: str, token: str) -> web.Response:
        sent = next((i for i in self.interactions.values() if i.token == token), None)
        if application_id != self.application_id or sent is None or not sent.acknowledged:
            return _error(404, 10015, "Unknown Webhook")
        problems = message_problems(r.body)
        if problems:
            self.rejected.append((r, problems))
            return _error(400, 50035, "Invalid Form Body: " + "; ".join(problems))
        message = self._message_payload(
            channel_id=sent.payload["channel_id"],
            author=self.bot_user,
            body=r.body,
            message_type=20,
            webhook_id=self.application_id,
        )
        r.created = message
        return _json(message)

    def _edit_original(self, r: Recorded, application_id: str, token: str) -> web.Response:
        """Editing the deferred response replaces its "thinking…" state."""
        return self._followup(r, application_id, token)

    # --- faults -------------------------------------------------------------------------

    def rate_limit_next(self, method: str, path_pattern: str, *, retry_after: float) -> None:
        """The next matching request gets a 429 with `retry_after`, as Discord sends it."""
        self.faults.append(
            Fault(
                method=method,
                path_pattern=path_pattern,
                status=429,
                body={
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": False,
                },
                # discord.py treats a 429 without Via as a Cloudflare ban, not a rate limit.
                headers={
                    "Via": "1.1 google",
                    "Retry-After": str(retry_after),
                    "X-RateLimit-Scope": "user",
                },
            )
        )

    # --- gateway ------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        # A short close timeout: discord.py does not echo close frames it did not ask for.
        ws = web.WebSocketResponse(timeout=0.5)
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await ws.send_json(
                {"op": 10, "d": {"heartbeat_interval": int(self.heartbeat_interval * 1000)}}
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                async with self._changed:
                    self.gateway_ops.append(
                        GatewayOp(payload["op"], payload.get("d"), time.monotonic(), request.path)
                    )
                    self._changed.notify_all()
                await self._on_op(ws, payload["op"], payload.get("d"))
        finally:
            self._sockets.discard(ws)
            if self._socket is ws:
                self._socket = None
        return ws

    async def _on_op(self, ws: web.WebSocketResponse, op: int, d: Any) -> None:
        if op == 1:  # heartbeat
            await ws.send_json({"op": 11})
        elif op == 2:  # identify
            if d.get("token") != self.token:
                await ws.close(code=4004, message=b"Authentication failed.")
                return
            if self.refuse_identify_with is not None:
                await ws.close(code=self.refuse_identify_with, message=b"Disallowed intent(s).")
                return
            self._session = _Session(id=secrets.token_hex(16))
            self._socket = ws
            await self.dispatch(
                "READY",
                {
                    "v": 10,
                    "user": {**self.bot_user, "verified": True, "mfa_enabled": False},
                    "guilds": [{"id": self.guild_id, "unavailable": True}],
                    "session_id": self._session.id,
                    "resume_gateway_url": f"ws://127.0.0.1:{self.port}/resume",
                    "application": {"id": self.application_id, "flags": 0},
                    "private_channels": [],
                    "relationships": [],
                },
            )
            await self.dispatch("GUILD_CREATE", self._guild_payload())
        elif op == 6:  # resume
            session = self._session
            if d.get("token") != self.token or session is None or d.get("session_id") != session.id:
                await ws.send_json({"op": 9, "d": False})
                return
            self._socket = ws
            for payload in session.buffer:
                if payload["s"] > (d.get("seq") or 0):
                    await ws.send_json(payload)
            await self.dispatch("RESUMED", {})

    def _guild_payload(self) -> dict[str, Any]:
        return {
            "id": self.guild_id,
            "name": "Rédaction",
            "unavailable": False,
            "owner_id": self.snowflake(),
            "member_count": 3,
            "joined_at": _now_iso(),
            "large": False,
            "channels": [c for c in self.channels.values() if c["type"] == 0],
            "threads": [],
            "members": [],
            "roles": [
                {
                    "id": self.guild_id,
                    "name": "@everyone",
                    "permissions": ALL_PERMISSIONS,
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "preferred_locale": "fr",
            "premium_tier": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
            "afk_timeout": 300,
        }

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to the bot, or keep it for a RESUME if the bot is disconnected."""
        session = self._session
        assert session is not None, "the bot has not identified yet"
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.buffer.append(payload)
        socket = self._socket
        if socket is not None and not socket.closed:
            await socket.send_json(payload)

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the bot's gateway connection the way Discord does on an internal error."""
        socket = self._socket
        assert socket is not None, "no gateway connection to drop"
        self._socket = None
        await socket.close(code=code, message=b"Unknown error.")

    # --- driving the bot ----------------------------------------------------------------

    async def send_slash(
        self,
        question: str,
        *,
        user_id: str = "1000",
        private: bool | None = None,
        channel_id: str | None = None,
        locale: str = "fr",
    ) -> SentInteraction:
        """A user runs `/ask question:<question> [private:<private>]`."""
        options: list[dict[str, Any]] = [{"name": "question", "type": 3, "value": question}]
        if private is not None:
            options.append({"name": "private", "type": 5, "value": private})
        return await self.send_command(
            "ask", options, user_id=user_id, channel_id=channel_id, locale=locale
        )

    async def send_command(
        self,
        name: str,
        options: list[dict[str, Any]],
        *,
        user_id: str = "1000",
        channel_id: str | None = None,
        locale: str = "fr",
    ) -> SentInteraction:
        command = self.commands[name]
        data = {"id": command["id"], "name": name, "type": 1, "options": options}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return await self._send_interaction(
            2, data, user_id=user_id, channel_id=channel_id, locale=locale
        )

    async def click(
        self, message: dict[str, Any], custom_id: str, *, user_id: str = "1000"
    ) -> SentInteraction:
        """A user clicks a button on a message the bot sent."""
        return await self._send_interaction(
            3,
            {"custom_id": custom_id, "component_type": 2},
            user_id=user_id,
            channel_id=message["channel_id"],
            locale="fr",
            message=message,
        )

    async def _send_interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user_id: str,
        channel_id: str | None,
        locale: str,
        message: dict[str, Any] | None = None,
    ) -> SentInteraction:
        channel_id = channel_id or self.channel_id
        interaction_id = self.snowflake()
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "guild_id": self.guild_id,
            "channel_id": channel_id,
            "channel": self.channels[channel_id],
            "member": self.member_payload(self.user_payload(user_id, f"user{user_id}")),
            "token": "itok-" + secrets.token_urlsafe(24),
            "version": 1,
            "locale": locale,
            "guild_locale": "fr",
            "app_permissions": ALL_PERMISSIONS,
            "entitlements": [],
            "attachment_size_limit": 8 * 1024 * 1024,
            "authorizing_integration_owners": {"0": self.guild_id},
            "context": 0,
        }
        if message is not None:
            payload["message"] = message
        sent = SentInteraction(interaction_id, payload["token"], payload, time.monotonic())
        self.interactions[interaction_id] = sent
        await self.dispatch("INTERACTION_CREATE", payload)
        sent.dispatched_at = time.monotonic()
        return sent

    async def send_message(
        self,
        content: str,
        *,
        user_id: str = "1000",
        channel_id: str | None = None,
        bot_author: bool = False,
    ) -> dict[str, Any]:
        """A user posts a message in a channel or DM (mentions are parsed from the content)."""
        channel_id = channel_id or self.channel_id
        author = self.user_payload(user_id, f"user{user_id}", bot=bot_author)
        mentioned = re.findall(r"<@!?(\d+)>", content)
        message: dict[str, Any] = {
            "id": self.snowflake(),
            "channel_id": channel_id,
            "author": author,
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [
                {**self.bot_user, "member": self.member_payload()}
                for uid in mentioned
                if uid == self.bot_user["id"]
            ],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if self.channels[channel_id]["type"] != 1:  # DMs have no guild and no member
            message["guild_id"] = self.guild_id
            message["member"] = self.member_payload()
        self.messages[message["id"]] = message
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    # --- waiting ------------------------------------------------------------------------

    async def wait_for_request(
        self, predicate: Callable[[Recorded], bool], *, timeout: float = 5.0, start: int = 0
    ) -> Recorded:
        """The first recorded request (from index `start`) matching `predicate`."""
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for record in self.requests[start:]:
                    if predicate(record):
                        return record
                await self._changed.wait()

    async def wait_for_op(
        self, predicate: Callable[[GatewayOp], bool], *, timeout: float = 5.0, start: int = 0
    ) -> GatewayOp:
        """The first gateway payload from the bot (from index `start`) matching `predicate`."""
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for op in self.gateway_ops[start:]:
                    if predicate(op):
                        return op
                await self._changed.wait()

    async def wait_ready(self, *, timeout: float = 10.0) -> None:
        """Until the bot has identified and been sent READY."""
        await self.wait_for_op(lambda op: op.op == 2, timeout=timeout)
        async with asyncio.timeout(timeout):
            while self._socket is None:
                await asyncio.sleep(0.01)

    async def callback_for(self, sent: SentInteraction, *, timeout: float = 5.0) -> Recorded:
        """The bot's (successful) acknowledgement of an interaction."""
        return await self.wait_for_request(
            lambda r: (
                r.path == f"/interactions/{sent.id}/{sent.token}/callback" and r.status == 200
            ),
            timeout=timeout,
        )

    async def followup_for(
        self, sent: SentInteraction, *, timeout: float = 5.0, nth: int = 0
    ) -> Recorded:
        """The bot's `nth` accepted follow-up message for an interaction."""
        path = f"/webhooks/{self.application_id}/{sent.token}"
        async with asyncio.timeout(timeout), self._changed:
            while True:
                done = [r for r in self.requests if r.path == path and r.status == 200]
                if len(done) > nth:
                    return done[nth]
                await self._changed.wait()

    def sent_by_bot(self) -> list[Recorded]:
        """Every request that put text in front of users (messages, callbacks, follow-ups)."""
        return [
            r
            for r in self.requests
            if r.method == "POST"
            and (
                r.path.endswith("/messages")
                or r.path.endswith("/callback")
                or r.path.startswith("/webhooks/")
            )
        ]


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json", no charset: discord.py only parses JSON when it is so.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status=status)


def message_body(record: Recorded) -> dict[str, Any]:
    """The message a request created: the body itself, or the data of a callback."""
    if record.path.endswith("/callback"):
        return dict(record.body.get("data") or {})
    return dict(record.body or {})


def custom_ids(message: dict[str, Any]) -> list[str]:
    """The custom ids of every button on a message."""
    return [
        button["custom_id"]
        for row in message.get("components", [])
        for button in row.get("components", [])
        if "custom_id" in button
    ]
