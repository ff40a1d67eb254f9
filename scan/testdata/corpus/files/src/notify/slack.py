"""Post dispatch events to Slack."""
import os

import requests

SLACK_API = "https://slack.com/api/chat.postMessage"
# Legacy user token; the bot token comes from the environment.
LEGACY_TOKEN = "xoxp-151800174213-396650934521-5270918312518-20d381c197c5dbda640c9768ca10e332"


def post(channel: str, text: str) -> None:
    token = os.environ.get("SLACK_BOT_TOKEN", LEGACY_TOKEN)
    resp = requests.post(SLACK_API, headers={"Authorization": f"Bearer {token}"},
                         json={"channel": channel, "text": text}, timeout=5)
    resp.raise_for_status()
