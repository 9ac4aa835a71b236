"""Slack and Teams bots end to end: signed requests into a live server on loopback, and
local HTTP servers standing in for Slack's Web API and Teams' Bot Framework service."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from conftest import QuietHandler, serve_on_loopback
from test_server import LiveServer, wait_for_job

from assistant.config import Settings
from assistant.render import SLACK_MAX_BLOCKS, SLACK_SECTION_CHARS, slack_blocks, teams_card
from assistant.schema import Answer, Citation

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
WEBHOOK_SECRET = base64.b64encode(b"teams outgoing webhook shared secret").decode()
KEYS = "reader1=read,boss1=read+write+restricted"
BOT_USER = "UBOT0001"
GOLD = "The new case management system, Omnia"
QUESTION = "What case management system does the London CRC use?"


class FakeService:
    """An HTTP server on loopback recording what the bots send to Slack or Teams."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.rate_limit_next = 0
        outer = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if outer.rate_limit_next:
                    outer.rate_limit_next -= 1
                    outer.requests.append({"path": self.path, "rate_limited": True,
                                           "at": time.time()})
                    self._reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
                    return
                kind = self.headers.get("content-type", "")
                data = json.loads(body) if "json" in kind else {
                    k: v[0] for k, v in parse_qs(body.decode()).items()}
                outer.requests.append({"path": self.path, "json": data, "at": time.time(),
                                       "authorization": self.headers.get("authorization")})
                self._reply(200, {"ok": True, "ts": "1700000999.000100", "id": "reply-1"})

            def _reply(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                payload = json.dumps(data).encode()
                self.send_response(status)
                for name, value in {"content-type": "application/json", **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server, url = serve_on_loopback(Handler)
        self.url = url

    def sent(self, path_part: str, count: int = 1, timeout: float = 60) -> list[dict[str, Any]]:
        """The first `count` requests whose path contains path_part, waiting for them."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [r for r in self.requests if path_part in r["path"] and "json" in r]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {path_part} request arrived; got {self.requests}")

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeService]:
    service = FakeService()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def live(seed_index: Settings, fake: FakeService,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("bots")
    settings = seed_index.model_copy(update={
        "index": folder / "index", "slack_signing_secret": SIGNING_SECRET,
        "slack_bot_token": "xoxb-test", "slack_api_url": f"{fake.url}/api/",
        "teams_webhook_secret": WEBHOOK_SECRET, "public_url": "https://minutes.example.gov.uk"})
    shutil.copytree(seed_index.index, settings.index)
    server = LiveServer(settings, KEYS)
    yield server
    server.stop()


def slack_signed(body: bytes, secret: str = SIGNING_SECRET, at: int | None = None) -> dict[str, str]:
    """The headers Slack sends: HMAC-SHA256 over `v0:timestamp:body` with the signing secret."""
    timestamp = str(at if at is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def event(text: str, ts: str, *, thread_ts: str | None = None, event_id: str | None = None,
          **extra: Any) -> bytes:
    inner = {"type": "app_mention", "user": "UCLLR001", "text": text, "ts": ts,
             "channel": "CMEMBERS", "team": "T1", **extra}
    if thread_ts:
        inner["thread_ts"] = thread_ts
    return json.dumps({"type": "event_callback", "team_id": "T1", "event": inner,
                       "event_id": event_id or f"Ev{ts.replace('.', '')}",
                       "authorizations": [{"user_id": BOT_USER, "is_bot": True}]}).encode()


def post_slack(live: LiveServer, path: str, body: bytes, headers: dict[str, str] | None = None,
               form: bool = False) -> httpx.Response:
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    return httpx.post(f"{live.url}{path}", content=body, timeout=30,
                      headers={"content-type": kind, **(slack_signed(body) if headers is None else headers)})


def barrier(live: LiveServer, fake: FakeService) -> None:
    """Wait until a fresh question has been answered: work queued by earlier requests has
    had its turn by then (instead of sleeping for a fixed time)."""
    ts = f"{time.time():.6f}"
    posted = len(fake.sent("chat.postMessage", 0))
    assert post_slack(live, "/slack/events", event(f"<@{BOT_USER}> What does BOOST stand for?",
                                                   ts)).status_code == 200
    replies = fake.sent("chat.postMessage", posted + 1)
    assert replies[-1]["json"]["thread_ts"] == ts


def block_texts(blocks: list[dict[str, Any]]) -> str:
    parts = [b.get("text", {}).get("text", "") for b in blocks]
    parts += [e.get("text", "") for b in blocks for e in b.get("elements", []) if b["type"] == "context"]
    return "\n".join(parts)


def test_slack_refuses_unsigned_stale_and_forged_requests(live: LiveServer, fake: FakeService) -> None:
    body = event(f"<@{BOT_USER}> {QUESTION}", "1700000001.000100")
    stale = slack_signed(body, at=int(time.time()) - 6 * 60)
    for headers in ({}, slack_signed(body, secret="not-the-secret"), stale,
                    {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}):
        response = post_slack(live, "/slack/events", body, headers)
        assert response.status_code == 401, headers
    challenge = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aB"}).encode()
    assert post_slack(live, "/slack/events", challenge, {}).status_code == 401
    assert post_slack(live, "/slack/events", challenge).json() == {"challenge": "3eZbrw1aB"}
    form = urlencode({"command": "/minutes", "text": QUESTION, "response_url": fake.url}).encode()
    assert post_slack(live, "/slack/commands", form, {}, form=True).status_code == 401
    barrier(live, fake)
    assert len(fake.requests) == 1  # the barrier's reply alone: nothing unverified did anything


def test_slack_mention_answered_in_thread_once_with_gold_citation(
        live: LiveServer, fake: FakeService) -> None:
    ts = "1700000100.000200"
    body = event(f"<@{BOT_USER}> {QUESTION}", ts)
    started = time.perf_counter()
    response = post_slack(live, "/slack/events", body)
    assert response.status_code == 200 and time.perf_counter() - started < 3
    retry = slack_signed(body) | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert post_slack(live, "/slack/events", body, retry).status_code == 200
    deadline = time.time() + 60
    while not (mine := [r for r in fake.sent("chat.postMessage", 0)
                        if r["json"].get("thread_ts") == ts]) and time.time() < deadline:
        time.sleep(0.05)
    message = mine[0]["json"]
    assert message["channel"] == "CMEMBERS" and message["thread_ts"] == ts
    text = block_texts(message["blocks"])
    assert "Omnia" in text and "*Sources*" in text
    assert GOLD in text and "Barnet Safer Communities Partnership Board" in text
    assert "<https://minutes.example.gov.uk/#doc=" in text  # a link opening the passage
    assert message["blocks"][-1]["block_id"] == "feedback"
    barrier(live, fake)
    answers = [r for r in fake.sent("chat.postMessage", 2) if r["json"].get("thread_ts") == ts]
    assert len(answers) == 1  # the retried delivery was not answered again

    # the bot's answer is the web API's answer: same pipeline, no weaker path
    api = live.client("reader1").post("/v1/chat", json={"message": QUESTION}).json()
    assert message["text"] == api["answer"]
    assert [c["quote"][:80] in text for c in api["citations"]] == [True] * len(api["citations"])


def test_slack_follow_up_in_the_thread_continues_the_conversation(
        live: LiveServer, fake: FakeService) -> None:
    before = len([r for r in fake.requests if "chat.postMessage" in r["path"]])
    root = "1700000200.000300"
    post_slack(live, "/slack/events", event(
        f"<@{BOT_USER}> Tell me about the probation inspection in Northamptonshire", root))
    fake.sent("chat.postMessage", before + 1)
    post_slack(live, "/slack/events", event(f"<@{BOT_USER}> Which company owns that CRC?",
                                            "1700000201.000100", thread_ts=root))
    reply = fake.sent("chat.postMessage", before + 2)[-1]["json"]
    assert reply["thread_ts"] == root and "Sodexo" in reply["text"]


def test_slack_ignores_bots_own_edits_deletions_and_channel_chatter(
        live: LiveServer, fake: FakeService) -> None:
    before = len(fake.requests)
    ignored = [
        event(f"<@{BOT_USER}> {QUESTION}", "1700000300.1", bot_id="B1"),
        event(QUESTION, "1700000300.2", user=BOT_USER),
        event(QUESTION, "1700000300.3", subtype="message_changed"),
        event(QUESTION, "1700000300.4", subtype="message_deleted"),
        event(QUESTION, "1700000300.5", type="message", channel_type="channel"),
    ]
    for body in ignored:
        assert post_slack(live, "/slack/events", body).status_code == 200
    barrier(live, fake)
    assert len(fake.requests) == before + 1  # the barrier's reply alone


def test_slack_direct_message_waits_out_rate_limit(live: LiveServer, fake: FakeService) -> None:
    before = len([r for r in fake.requests if "chat.postMessage" in r["path"] and "json" in r])
    fake.rate_limit_next = 1
    body = event("What does BOOST stand for?", "1700000400.000100", type="message",
                 channel_type="im", channel="DCLLR001")
    assert post_slack(live, "/slack/events", body).status_code == 200
    posted = fake.sent("chat.postMessage", before + 1)[-1]
    limited = [r for r in fake.requests if r.get("rate_limited")][-1]
    assert posted["at"] - limited["at"] >= 1.0  # Retry-After: 1 was respected
    assert posted["json"]["channel"] == "DCLLR001" and "Burnt Oak" in posted["json"]["text"]


def test_slack_slash_command_and_feedback_buttons(live: LiveServer, fake: FakeService) -> None:
    form = urlencode({"command": "/minutes", "text": "What percentage of the CRC's service users "
                      "were BAME?", "user_id": "UCLLR001", "channel_id": "CMEMBERS",
                      "team_id": "T1", "trigger_id": "t1", "response_url": f"{fake.url}/hooks/cmd1"})
    ack = post_slack(live, "/slack/commands", form.encode(), form=True)
    assert ack.status_code == 200 and ack.json()["response_type"] == "ephemeral"
    reply = fake.sent("/hooks/cmd1")[0]["json"]
    assert reply["response_type"] == "in_channel" and "51%" in block_texts(reply["blocks"])
    empty = post_slack(live, "/slack/commands", urlencode({"text": " "}).encode(), form=True)
    assert "Ask me a question" in empty.json()["text"]

    answer_id = reply["blocks"][-1]["elements"][1]["value"]
    click = {"type": "block_actions", "user": {"id": "UCLLR001"},
             "response_url": f"{fake.url}/hooks/click1",
             "actions": [{"action_id": "feedback_not_helpful", "value": answer_id}]}
    body = urlencode({"payload": json.dumps(click)}).encode()
    assert post_slack(live, "/slack/interactions", body, form=True).status_code == 200
    assert "feedback is recorded" in fake.sent("/hooks/click1")[0]["json"]["text"]
    assert live.client("reader1").get("/v1/feedback").status_code == 403
    stored = live.client("boss1").get("/v1/feedback", params={"verdict": "not_helpful"}).json()
    mine = [f for f in stored["feedback"] if f["answer_id"] == answer_id]
    assert mine and mine[0]["question"].startswith("What percentage")
    assert "51%" in mine[0]["answer"]["answer"] and mine[0]["platform"] == "slack"


def test_bots_never_answer_from_restricted_documents(live: LiveServer, fake: FakeService) -> None:
    boss = live.client("boss1")
    created = boss.post("/v1/documents", data={"restricted": "true"}, files=[("files", (
        "exempt.txt", b"Exempt report. The Quillfeather depot lease to Marbleway Holdings was "
        b"agreed in closed session.", "text/plain"))])
    assert wait_for_job(boss, created.json()["job_id"])["status"] == "done"
    before = len([r for r in fake.requests if "chat.postMessage" in r["path"] and "json" in r])
    post_slack(live, "/slack/events", event(
        f"<@{BOT_USER}> Who gets the Quillfeather depot lease?", "1700000500.000100"))
    posted = fake.sent("chat.postMessage", before + 1)[-1]["json"]
    assert "Marbleway" not in json.dumps(posted)
    reply = teams_webhook(live, "Who gets the Quillfeather depot lease?")
    assert reply.status_code == 200 and "Marbleway" not in reply.text


def teams_activity(text: str, service_url: str, conversation: str = "a:1personal") -> dict[str, Any]:
    return {"type": "message", "id": "1700000600123", "channelId": "msteams",
            "serviceUrl": service_url, "text": text, "timestamp": "2026-11-22T10:00:00Z",
            "from": {"id": "29:councillor", "name": "Cllr Example"},
            "recipient": {"id": "28:bot", "name": "Minutes"},
            "conversation": {"id": conversation, "conversationType": "channel"},
            "entities": [{"type": "mention", "text": "<at>Minutes</at>",
                          "mentioned": {"id": "28:bot", "name": "Minutes"}}]}


def test_teams_bot_replies_with_adaptive_card_to_service_url(
        live: LiveServer, fake: FakeService) -> None:
    activity = teams_activity(f"<at>Minutes</at> {QUESTION}", f"{fake.url}/teams/")
    response = httpx.post(f"{live.url}/teams/messages", json=activity, timeout=30)
    assert response.status_code == 202
    replies = fake.sent("/v3/conversations/a%3A1personal/activities/1700000600123", 2)
    assert replies[0]["json"]["type"] == "typing"
    reply = replies[1]["json"]
    card = reply["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    body = json.dumps(card["content"])
    assert "Omnia" in body and GOLD in body and "Barnet Safer Communities" in body
    api = live.client("reader1").post("/v1/chat", json={"message": QUESTION}).json()
    assert card["content"]["body"][0]["inlines"][0]["text"] == api["answer"]
    opens = [a for item in card["content"]["body"] if item["type"] == "Container"
             for block in item["items"] if block["type"] == "ActionSet" for a in block["actions"]]
    assert opens and opens[0]["url"].startswith("https://minutes.example.gov.uk/#doc=")

    answer_id = card["content"]["actions"][0]["data"]["answer_id"]
    vote = teams_activity("", f"{fake.url}/teams/") | {
        "id": "1700000600999", "value": {"feedback": "helpful", "answer_id": answer_id}}
    assert httpx.post(f"{live.url}/teams/messages", json=vote, timeout=30).status_code == 202
    thanks = fake.sent("/activities/1700000600999")[0]["json"]
    assert "feedback is recorded" in thanks["text"]
    # without an app id (emulator mode) replies go only to this machine, never elsewhere
    remote = teams_activity(QUESTION, "https://smba.example.net/emea/")
    refused = httpx.post(f"{live.url}/teams/messages", json=remote, timeout=30)
    assert refused.status_code == 401 and "TEAMS_APP_ID" in refused.json()["detail"]


def test_teams_bot_with_app_id_refuses_unauthenticated_activities(
        seed_index: Settings, tmp_path: Path, fake: FakeService) -> None:
    settings = seed_index.model_copy(update={"index": tmp_path / "index",
                                             "teams_app_id": "00000000-0000-0000-0000-000000000001",
                                             "teams_app_password": "secret"})
    shutil.copytree(seed_index.index, settings.index)
    server = LiveServer(settings, "")
    try:
        activity = teams_activity(QUESTION, f"{fake.url}/teams-auth/")
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            response = httpx.post(f"{server.url}/teams/messages", json=activity, headers=headers,
                                  timeout=30)
            assert response.status_code == 401  # refused before any token service is asked
        assert not [r for r in fake.requests if "teams-auth" in r["path"]]
    finally:
        server.stop()


def teams_webhook(live: LiveServer, question: str, secret: str = WEBHOOK_SECRET,
                  authorization: str | None = None, activity_id: str | None = None,
                  sent: datetime | None = None) -> httpx.Response:
    """Posted as Teams posts an outgoing webhook: a fresh activity id and timestamp, signed."""
    sent = sent or datetime.now(UTC)
    body = json.dumps({"type": "message", "text": f"<at>Minutes</at>&nbsp;{question}",
                       "id": activity_id or uuid.uuid4().hex,
                       "timestamp": sent.isoformat().replace("+00:00", "Z"),
                       "conversation": {"id": "19:abc@thread.tacv2;messageid=42"},
                       "from": {"id": "29:councillor"}}).encode()
    digest = hmac.new(base64.b64decode(secret), body, hashlib.sha256).digest()
    header = authorization if authorization is not None else f"HMAC {base64.b64encode(digest).decode()}"
    return httpx.post(f"{live.url}/teams/webhook", content=body, timeout=30,
                      headers={"content-type": "application/json", "Authorization": header})


def test_teams_outgoing_webhook_verified_and_answered_in_time(live: LiveServer) -> None:
    started = time.perf_counter()
    reply = teams_webhook(live, "What does BOOST stand for?")
    assert reply.status_code == 200 and time.perf_counter() - started < 5
    text = reply.json()["text"]
    assert reply.json()["type"] == "message" and "Burnt Oak Opportunity Support Team" in text
    assert "**Sources**" in text and "[1] [" in text
    wrong = base64.b64encode(b"another secret").decode()
    assert teams_webhook(live, "What does BOOST stand for?", secret=wrong).status_code == 401
    assert teams_webhook(live, "What does BOOST stand for?", authorization="").status_code == 401
    assert teams_webhook(live, "x", authorization="Bearer abc").status_code == 401


def test_slack_blocks_respect_limits() -> None:
    citations = [Citation(n=n, doc_id=f"doc{n}", title="T" * 400, doc_type="minutes",
                          committee="Board", meeting_date="2020-01-01", page=3,
                          quote="quote " * 2000, start=0, end=10, score=1.0)
                 for n in range(1, 80)]
    answer = Answer(answer="word " * 2000, answerable=True, conversation_id="c1",
                    citations=citations)
    blocks = slack_blocks(answer, "a1", None)
    assert len(blocks) <= SLACK_MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= SLACK_SECTION_CHARS for b in blocks if "text" in b)
    assert blocks[-1]["block_id"] == "feedback"
    markup = Answer(answer="A <script>alert(1)</script> & <@U1>", answerable=True,
                    conversation_id="c1", citations=citations[:1])
    assert "&lt;script&gt;" in slack_blocks(markup, None, None)[0]["text"]["text"]
    card = teams_card(answer, "a1", None)
    assert card["type"] == "AdaptiveCard" and len(card["actions"]) == 2
    # document words go into TextRuns, which Teams does not read as markdown
    texts = [b for item in card["body"] for b in item.get("items", [item])]
    assert all(b["type"] in ("RichTextBlock", "ActionSet") for b in texts)


def test_slack_manifest_points_at_the_app_routes(live: LiveServer) -> None:
    import yaml

    manifest = yaml.safe_load((Path(__file__).parents[1] / "deploy/slack-app-manifest.yml").read_text())
    urls = [manifest["settings"]["event_subscriptions"]["request_url"],
            manifest["settings"]["interactivity"]["request_url"],
            manifest["features"]["slash_commands"][0]["url"]]
    for url in urls:  # each endpoint exists and refuses an unsigned request
        path = "/" + url.split("/", 3)[3]
        assert httpx.post(f"{live.url}{path}", content=b"{}", timeout=30).status_code == 401
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert {"chat:write", "app_mentions:read", "im:history", "commands"} <= set(
        manifest["oauth_config"]["scopes"]["bot"])


def test_teams_app_package(tmp_path: Path) -> None:
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).parents[1]
    env = {"PATH": "/usr/bin:/bin", "TEAMS_APP_ID": "11111111-2222-3333-4444-555555555555",
           "ASSISTANT_PUBLIC_URL": "https://minutes.example.gov.uk"}
    target = tmp_path / "teams-app.zip"
    subprocess.run([sys.executable, str(root / "scripts/teams_package.py"), str(target)], env=env,
                   capture_output=True, text=True, check=True)
    with zipfile.ZipFile(target) as package:
        manifest = json.loads(package.read("manifest.json"))
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
    assert manifest["bots"][0]["botId"] == env["TEAMS_APP_ID"]
    assert manifest["validDomains"] == ["minutes.example.gov.uk"] and "{{" not in json.dumps(manifest)


def test_bad_or_missing_bot_settings_are_named(seed_index: Settings, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from assistant.errors import ConfigurationError
    from assistant.server import create_app

    settings = seed_index.model_copy(update={"index": tmp_path / "index"})
    with pytest.raises(ConfigurationError, match="TEAMS_WEBHOOK_SECRET must be the base64"):
        create_app(settings.model_copy(update={"teams_webhook_secret": "not base64!"}), "")
    client = TestClient(create_app(settings.model_copy(update={"slack_signing_secret": "x"}), ""))
    unset = client.post("/slack/events", content=b"{}")
    assert unset.status_code == 503 and "SLACK_BOT_TOKEN" in unset.json()["detail"]
    assert "TEAMS_WEBHOOK_SECRET" in client.post("/teams/webhook", content=b"{}").json()["detail"]


def test_teams_webhook_replayed_or_stale_request_is_not_answered_again(live: LiveServer) -> None:
    activity_id = uuid.uuid4().hex
    first = teams_webhook(live, "What does BOOST stand for?", activity_id=activity_id)
    assert first.status_code == 200 and "Burnt Oak" in first.json()["text"]
    replayed = teams_webhook(live, "What does BOOST stand for?", activity_id=activity_id)
    assert replayed.status_code == 409 and "answered already" in replayed.json()["detail"]
    old = datetime.fromtimestamp(time.time() - 10 * 60, UTC)
    stale = teams_webhook(live, "What does BOOST stand for?", sent=old)
    assert stale.status_code == 401 and "five minutes" in stale.json()["detail"]


def test_slack_events_without_event_id_are_each_answered(live: LiveServer, fake: FakeService) -> None:
    before = len(fake.sent("chat.postMessage", 0))
    for ts in ("1700000900.000100", "1700000901.000100"):
        payload = json.loads(event(f"<@{BOT_USER}> What does BOOST stand for?", ts))
        del payload["event_id"]
        assert post_slack(live, "/slack/events", json.dumps(payload).encode()).status_code == 200
    replies = fake.sent("chat.postMessage", before + 2)[before:]
    assert {r["json"]["thread_ts"] for r in replies} == {"1700000900.000100", "1700000901.000100"}


def test_slack_unreachable_is_logged_in_one_line_not_a_traceback(
        seed_index: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/api/"
    settings = seed_index.model_copy(update={
        "index": tmp_path / "index", "slack_signing_secret": SIGNING_SECRET,
        "slack_bot_token": "xoxb-test", "slack_api_url": dead})
    shutil.copytree(seed_index.index, settings.index)
    uvicorn_log = logging.getLogger("uvicorn.error")  # where an escaped task's traceback goes
    uvicorn_log.addHandler(caplog.handler)
    server = LiveServer(settings, "")
    try:
        with caplog.at_level(logging.INFO):
            body = event(f"<@{BOT_USER}> What does BOOST stand for?", "1700001000.000100")
            assert post_slack(server, "/slack/events", body).status_code == 200
            deadline = time.time() + 60
            while time.time() < deadline and not any(
                    "could not be sent" in r.getMessage() for r in caplog.records):
                time.sleep(0.1)
        failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("could not be sent" in r.getMessage() for r in failures)
        assert not [r for r in failures if r.exc_info], "a traceback escaped"
    finally:
        server.stop()
        uvicorn_log.removeHandler(caplog.handler)


def test_slack_asks_a_user_over_the_rate_limit_to_wait(
        seed_index: Settings, tmp_path: Path, fake: FakeService) -> None:
    settings = seed_index.model_copy(update={
        "index": tmp_path / "index", "slack_signing_secret": SIGNING_SECRET,
        "slack_bot_token": "xoxb-test", "slack_api_url": f"{fake.url}/api/",
        "bot_rate_limit": "1/minute"})
    shutil.copytree(seed_index.index, settings.index)
    server = LiveServer(settings, "")
    try:
        posted = len(fake.sent("chat.postMessage", 0))
        for ts in ("1700002000.000100", "1700002001.000100"):
            body = event(f"<@{BOT_USER}> What does BOOST stand for?", ts)
            assert post_slack(server, "/slack/events", body).status_code == 200
        replies = {r["json"]["thread_ts"]: r["json"]["text"]
                   for r in fake.sent("chat.postMessage", posted + 2)[posted:]}
        assert "Burnt Oak" in replies["1700002000.000100"]
        assert "please wait" in replies["1700002001.000100"]
    finally:
        server.stop()
