"""Microsoft Teams: a Bot Framework bot (botbuilder) and an outgoing webhook.

The bot's endpoint authenticates each activity with botbuilder's own authentication
(app id and password), acknowledges at once and answers in the background as an Adaptive
Card sent to the activity's `serviceUrl`. The outgoing webhook checks Teams' HMAC
signature and answers synchronously, inside Teams' five seconds."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import html
import json
import logging
import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from botbuilder.core import (
    ActivityHandler,
    CardFactory,
    MessageFactory,
    TurnContext,
)
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes
from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from ..config import Settings
from ..errors import AssistantError, ConfigurationError
from ..rate import RateLimit
from ..render import plain_text, teams_card, teams_text
from .chat import USAGE, AnswerSource, answer_with_record, ask, conversation_key, id_part, slow_down
from .store import VERDICTS, BotStore

log = logging.getLogger("assistant.bots.teams")
WEBHOOK_SECONDS = 4.5  # Teams drops an outgoing-webhook reply after five seconds
REPLAY_WINDOW_SECONDS = 300  # as Slack's: a signed request older than this is refused
_TAG = re.compile(r"<at>.*?</at>|<[^>]+>", re.S)


def plain_question(text: str) -> str:
    """Teams' HTML-ish text → the question: mentions and tags dropped, entities unescaped."""
    return " ".join(html.unescape(_TAG.sub(" ", text or "")).split())


class AnswerBot(ActivityHandler):
    """Answers each message with the assistant's cited answer as an Adaptive Card."""

    def __init__(self, state: AnswerSource, store: BotStore, rate: RateLimit):
        self.state = state
        self.store = store
        self.rate = rate

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if isinstance(activity.value, dict) and activity.value.get("feedback"):
            await self._feedback(turn_context, activity.value)
            return
        question = plain_question(TurnContext.remove_recipient_mention(activity) or "")
        if not question:
            await turn_context.send_activity(USAGE)
            return
        sender = activity.from_property.id if activity.from_property else ""
        wait = self.rate.retry_after(sender or activity.conversation.id)
        if wait is not None:
            await turn_context.send_activity(slow_down(wait))
            return
        await turn_context.send_activity(Activity(type=ActivityTypes.typing))
        conversation_id = conversation_key("teams", activity.conversation.id)
        try:
            answer, answer_id = await asyncio.to_thread(
                answer_with_record, self.state, self.store, "teams", question, conversation_id)
        except AssistantError as exc:
            await turn_context.send_activity(f"Sorry, I cannot answer yet: {exc}")
            return
        card = teams_card(answer, answer_id, self.state.settings.public_url)
        reply = MessageFactory.attachment(CardFactory.adaptive_card(card))
        reply.summary = plain_text(answer)[:250]
        await turn_context.send_activity(reply)

    async def _feedback(self, turn_context: TurnContext, value: dict[str, Any]) -> None:
        verdict = str(value.get("feedback"))
        user = turn_context.activity.from_property.id if turn_context.activity.from_property else ""
        known = verdict in VERDICTS and self.store.record_feedback(
            str(value.get("answer_id", "")), user or "", verdict)
        await turn_context.send_activity("Thanks, your feedback is recorded." if known else
                                         "That feedback could not be matched to an answer.")


def bot_configuration(settings: Settings) -> SimpleNamespace:
    """botbuilder's configuration object; no app id means the local emulator mode."""
    tenant = settings.teams_app_tenant_id
    return SimpleNamespace(APP_ID=settings.teams_app_id or "",
                           APP_PASSWORD=settings.teams_app_password or "",
                           APP_TYPE="SingleTenant" if tenant else "MultiTenant",
                           APP_TENANTID=tenant or "")


class TeamsBot:
    """The Teams endpoints' shared parts: the adapter, the bot, the webhook secret."""

    def __init__(self, state: AnswerSource, store: BotStore):
        self.state = state
        settings = state.settings
        self.emulator_mode = not settings.teams_app_id
        if self.emulator_mode:
            log.warning("Teams bot in local emulator mode: TEAMS_APP_ID and TEAMS_APP_PASSWORD "
                        "are not set, so it takes activities only from this machine, unauthenticated")
        self.auth = ConfigurationBotFrameworkAuthentication(bot_configuration(settings))
        self.adapter = CloudAdapter(self.auth)
        self.adapter.on_turn_error = self._on_error
        self.rate = RateLimit(settings.bot_rate_limit, "teams")
        self.bot = AnswerBot(state, store, self.rate)
        self.store = store
        secret = settings.teams_webhook_secret
        self.webhook_key = _webhook_key(secret) if secret else None

    async def _on_error(self, turn_context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed: %s", error, exc_info=error)
        await turn_context.send_activity("Sorry, something went wrong answering that; the "
                                         "service log has the details.")

    async def verify_webhook(self, request: Request) -> bytes:
        """The raw body, once its `Authorization: HMAC …` signature checks out; 401 otherwise."""
        if self.webhook_key is None:
            raise HTTPException(503, "the Teams outgoing webhook is not configured: set "
                                     "TEAMS_WEBHOOK_SECRET to the security token Teams gave you")
        body = await request.body()
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = base64.b64encode(hmac.new(self.webhook_key, body, hashlib.sha256).digest())
        if scheme != "HMAC" or not hmac.compare_digest(expected, given.strip().encode()):
            raise HTTPException(401, "the Teams HMAC signature is missing or does not match")
        return body

    def first_delivery(self, activity: dict[str, Any]) -> bool:
        """False for an activity already answered (a replay or a retry)."""
        conversation = (activity.get("conversation") or {}).get("id")
        return self.store.first_delivery("teams", id_part("activity", conversation,
                                                          activity.get("id")))

    async def webhook_answer(self, activity: dict[str, Any]) -> dict[str, Any]:
        """The synchronous reply Teams shows in the channel."""
        question = plain_question(str(activity.get("text") or ""))
        if not question:
            return {"type": "message", "text": USAGE}
        sender = (activity.get("from") or {}).get("id") or ""
        wait = self.rate.retry_after(str(sender))
        if wait is not None:
            return {"type": "message", "text": slow_down(wait)}
        conversation = (activity.get("conversation") or {}).get("id") or ""
        conversation_id = conversation_key("teams", str(conversation))
        try:
            answer = await asyncio.wait_for(
                asyncio.to_thread(ask, self.state, question, conversation_id), WEBHOOK_SECONDS)
        except TimeoutError:
            return {"type": "message", "text": "That is taking longer than Teams allows for a "
                                               "reply; please ask again in a moment."}
        return {"type": "message", "text": teams_text(answer, self.state.settings.public_url)}


def _webhook_key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError("TEAMS_WEBHOOK_SECRET must be the base64 security token Teams shows "
                         "when the outgoing webhook is created") from exc


def router(teams: TeamsBot) -> APIRouter:
    """The bot's messaging endpoint and the outgoing webhook."""
    api = APIRouter(prefix="/teams", include_in_schema=False)  # for Teams, not API clients

    @api.post("/messages", status_code=202)
    async def messages(request: Request, background: BackgroundTasks) -> Response:
        """Bot Framework activities from Teams (or the Bot Framework Emulator)."""
        try:
            body = await request.json()
        except ValueError as exc:
            raise HTTPException(400, "the body is not a Bot Framework activity (JSON)") from exc
        activity = Activity().deserialize(body if isinstance(body, dict) else {})
        if not activity.type or not activity.service_url:
            raise HTTPException(400, "the activity has no type or serviceUrl")
        if teams.emulator_mode and not _local(request, activity.service_url):
            raise HTTPException(401, "this Teams bot has no TEAMS_APP_ID and TEAMS_APP_PASSWORD, "
                                     "so it takes activities only from the Bot Framework Emulator "
                                     "on this machine; set them to serve Teams")
        try:
            auth = await teams.auth.authenticate_request(
                activity, request.headers.get("authorization", ""))
        except PermissionError as exc:
            raise HTTPException(401, f"Bot Framework authentication failed: {exc}") from exc
        except Exception as exc:  # token checks can fail in many ways; none may pass
            log.warning("Bot Framework authentication error: %s", exc)
            raise HTTPException(401, "Bot Framework authentication failed") from exc
        if activity.type == ActivityTypes.message and not teams.first_delivery(
                {"id": activity.id, "conversation": {"id": getattr(activity.conversation, "id", None)}}):
            return Response(status_code=202)  # a retried delivery: answered already
        if activity.type == ActivityTypes.invoke:  # invokes expect their result in the reply
            result = await teams.adapter.process_activity(auth, activity, teams.bot.on_turn)
            return _invoke_response(result)
        background.add_task(teams.adapter.process_activity, auth, activity, teams.bot.on_turn)
        return Response(status_code=202)

    @api.post("/webhook")
    async def webhook(request: Request) -> dict[str, Any]:
        """A Teams outgoing webhook: verified by HMAC, answered synchronously."""
        body = await teams.verify_webhook(request)
        try:
            activity = json.loads(body)
        except ValueError as exc:
            raise HTTPException(400, "the body is not JSON") from exc
        activity = activity if isinstance(activity, dict) else {}
        if _stale(activity.get("timestamp")):
            raise HTTPException(401, "the activity's timestamp is missing or more than five "
                                     "minutes from now; a replayed request is not answered")
        if not teams.first_delivery(activity):
            raise HTTPException(409, "this activity was answered already")
        return await teams.webhook_answer(activity)

    return api


def _stale(timestamp: Any, window: float = REPLAY_WINDOW_SECONDS) -> bool:
    """True unless the ISO 8601 timestamp is within the window of now (either side)."""
    try:
        sent = datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return True
    if sent.tzinfo is None:
        return True
    return abs((datetime.now(UTC) - sent).total_seconds()) > window


def _local(request: Request, service_url: str) -> bool:
    """Both the caller and the reply address are on this machine (the emulator's set-up)."""
    loopback = {"127.0.0.1", "::1", "localhost"}
    client = request.client.host if request.client else ""
    return client in loopback and (urlsplit(service_url).hostname or "") in loopback


def _invoke_response(result: Any) -> Response:
    if result is None:
        return Response(status_code=200)
    return JSONResponse(result.body, status_code=result.status)
