"""Slack: Events API mentions and direct messages, a slash command, feedback buttons.

Every request is verified against the signing secret before anything else happens; the
HTTP reply goes back at once and the answer follows in the thread from a background task,
through slack-sdk's client (which waits out `Retry-After` when Slack rate-limits)."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from ..errors import AssistantError
from ..rate import RateLimit
from ..render import plain_text, slack_blocks, slack_escape
from .chat import (
    USAGE,
    AnswerSource,
    answer_with_record,
    background,
    conversation_key,
    id_part,
    slow_down,
)
from .store import VERDICTS, BotStore

log = logging.getLogger("assistant.bots.slack")
# Kinds of message event that carry a new question; edits, deletions, joins, bot posts do not.
QUESTION_SUBTYPES = (None, "thread_broadcast")
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>|<([^<>]+)>")


def question_text(text: str) -> str:
    """Slack's markup → the plain question: mentions dropped, links and entities unwrapped."""
    text = _MENTION.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(3).split("|")[0].lstrip("#!@"), text)
    return " ".join(html.unescape(text).split())


class SlackBot:
    """The Slack side of the app; one per app, sharing the app's assistant."""

    def __init__(self, state: AnswerSource, store: BotStore):
        self.state = state
        self.store = store
        settings = state.settings
        secret = settings.slack_signing_secret
        configured = secret and secret.strip() and settings.slack_bot_token
        self.verifier = SignatureVerifier(secret) if configured and secret else None
        self.retry_handlers = [AsyncRateLimitErrorRetryHandler(max_retry_count=3),
                               AsyncConnectionErrorRetryHandler(max_retry_count=2)]
        base_url = settings.slack_api_url.rstrip("/") + "/"
        self.client = AsyncWebClient(token=settings.slack_bot_token, base_url=base_url,
                                     retry_handlers=self.retry_handlers)
        self.public_url = settings.public_url
        self.rate = RateLimit(settings.bot_rate_limit, "slack")

    async def verified_body(self, request: Request) -> bytes:
        """The raw body, once its signature and timestamp check out; 401 otherwise."""
        if self.verifier is None:
            raise HTTPException(503, "Slack is not configured: set SLACK_SIGNING_SECRET and "
                                     "SLACK_BOT_TOKEN (see the README's Slack section)")
        body = await request.body()
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not timestamp.isdigit() or not signature:
            raise HTTPException(401, "missing Slack signature headers")
        if not self.verifier.is_valid(body, timestamp, signature):
            raise HTTPException(401, "Slack signature does not match, or the request is "
                                     "more than five minutes old")
        return body

    def question_of(self, payload: dict[str, Any]) -> str | None:
        """The question an event asks, or None for events the bot leaves alone."""
        event = payload.get("event") or {}
        own = {a.get("user_id") for a in payload.get("authorizations") or [] if a.get("is_bot")}
        if (event.get("bot_id") or event.get("subtype") not in QUESTION_SUBTYPES
                or "edited" in event or event.get("user") in own or not event.get("user")):
            return None
        kind = event.get("type")
        if kind == "app_mention" or (kind == "message" and event.get("channel_type") == "im"):
            return question_text(str(event.get("text") or ""))
        return None

    def first_delivery(self, payload: dict[str, Any]) -> bool:
        """False for a retried event, and for a message already taken through another event."""
        event = payload.get("event") or {}
        return self.store.first_delivery(
            "slack", id_part("event", payload.get("event_id")),
            id_part("message", event.get("channel"), event.get("ts")),
            id_part("client_msg", event.get("client_msg_id")))

    @background("Slack reply in thread")
    async def reply_in_thread(self, channel: str, thread_ts: str, team: str, question: str) -> None:
        """Answer in the background and post into the message's thread."""
        if not question:
            await self._post(channel=channel, thread_ts=thread_ts, text=USAGE)
            return
        conversation_id = conversation_key("slack", team, channel, thread_ts)
        try:
            answer, answer_id = await asyncio.to_thread(
                answer_with_record, self.state, self.store, "slack", question, conversation_id)
        except AssistantError as exc:  # no index yet, or another the app cannot use
            await self._post(channel=channel, thread_ts=thread_ts,
                             text=f"Sorry, I cannot answer yet: {exc}")
            return
        except Exception:
            log.exception("answering %r failed", question)
            await self._post(channel=channel, thread_ts=thread_ts,
                             text="Sorry, something went wrong answering that; the service "
                                  "log has the details.")
            return
        await self._post(channel=channel, thread_ts=thread_ts, text=plain_text(answer),
                         blocks=slack_blocks(answer, answer_id, self.public_url),
                         unfurl_links=False, unfurl_media=False)

    async def _post(self, **message: Any) -> None:
        try:
            await self.client.chat_postMessage(**message)
        except SlackApiError as exc:
            log.error("chat.postMessage to %s failed: %s", message.get("channel"),
                      exc.response.get("error"))
        except Exception as exc:  # Slack unreachable, connection reset, timeout
            log.error("chat.postMessage to %s could not be sent: %s: %s",
                      message.get("channel"), type(exc).__name__, exc)

    @background("Slack slash-command reply")
    async def reply_to_command(self, form: dict[str, str]) -> None:
        """A slash command's answer, posted to the channel through its response URL."""
        question = form.get("text", "").strip()
        conversation_id = conversation_key("slack", form.get("team_id", ""),
                                           form.get("channel_id", ""), form.get("trigger_id", ""))
        webhook = AsyncWebhookClient(form["response_url"], retry_handlers=self.retry_handlers)
        try:
            answer, answer_id = await asyncio.to_thread(
                answer_with_record, self.state, self.store, "slack", question, conversation_id)
        except AssistantError as exc:
            await webhook.send(response_type="ephemeral", text=f"Sorry, I cannot answer yet: {exc}")
            return
        asked = {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"<@{form.get('user_id', '')}> asked: {slack_escape(question)}"}]}
        response = await webhook.send(response_type="in_channel", text=plain_text(answer),
                                      blocks=slack_blocks(answer, answer_id, self.public_url, asked))
        if response.status_code != 200:
            log.error("slash-command reply failed: %s %s", response.status_code, response.body)

    @background("Slack feedback")
    async def record_feedback(self, payload: dict[str, Any]) -> None:
        """A feedback button press: store the verdict, thank the person privately."""
        user = (payload.get("user") or {}).get("id", "")
        for action in payload.get("actions") or []:
            verdict = str(action.get("action_id", "")).removeprefix("feedback_")
            if verdict not in VERDICTS:
                continue
            known = self.store.record_feedback(str(action.get("value", "")), user, verdict)
            if payload.get("response_url"):
                note = ("Thanks, your feedback is recorded." if known else
                        "That answer is no longer on record, so the feedback was not kept.")
                await AsyncWebhookClient(payload["response_url"]).send(
                    response_type="ephemeral", replace_original=False, text=note)


def router(bot: SlackBot) -> APIRouter:
    """The three Slack endpoints; each acknowledges within Slack's three seconds."""
    api = APIRouter(prefix="/slack", include_in_schema=False)  # for Slack, not API clients

    @api.post("/events")
    async def events(request: Request, background: BackgroundTasks) -> dict[str, Any]:
        """Events API: URL verification, mentions in channels, direct messages."""
        payload = _json(await bot.verified_body(request))
        if payload.get("type") == "url_verification":
            return {"challenge": payload.get("challenge")}
        if payload.get("type") != "event_callback":
            return {}
        question = bot.question_of(payload)
        if question is None or not bot.first_delivery(payload):
            return {}
        event = payload["event"]
        team = str(payload.get("team_id") or event.get("team") or "")
        channel, thread_ts = str(event.get("channel")), str(event.get("thread_ts") or event.get("ts"))
        wait = bot.rate.retry_after(f"{team}:{event.get('user')}")
        if wait is not None:
            background.add_task(bot._post, channel=channel, thread_ts=thread_ts,
                                text=slow_down(wait))
        else:
            background.add_task(bot.reply_in_thread, channel, thread_ts, team, question)
        return {}

    @api.post("/commands")
    async def commands(request: Request, background: BackgroundTasks) -> dict[str, Any]:
        """A slash command such as `/minutes QUESTION`."""
        form = _form(await bot.verified_body(request))
        if not form.get("text", "").strip():
            return {"response_type": "ephemeral", "text": USAGE}
        wait = bot.rate.retry_after(f"{form.get('team_id')}:{form.get('user_id')}")
        if wait is not None:
            return {"response_type": "ephemeral", "text": slow_down(wait)}
        if not form.get("response_url"):
            raise HTTPException(400, "the command carries no response_url")
        background.add_task(bot.reply_to_command, form)
        return {"response_type": "ephemeral",
                "text": f"Searching the documents for “{form['text'].strip()[:200]}”…"}

    @api.post("/interactions")
    async def interactions(request: Request, background: BackgroundTasks) -> dict[str, Any]:
        """Block Kit interactions: the feedback buttons."""
        payload = _json(_form(await bot.verified_body(request)).get("payload", "").encode())
        if payload.get("type") == "block_actions":
            background.add_task(bot.record_feedback, payload)
        return {}

    return api


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise HTTPException(400, "the body is not JSON") from exc
    if not isinstance(data, dict):
        raise HTTPException(400, "the body is not a JSON object")
    return data


def _form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
