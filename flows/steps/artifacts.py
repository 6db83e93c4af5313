"""Prefect artifacts: a prep sheet shown in the Prefect UI, as Markdown.

The UI has two pages for a keyed artifact. The artifact's own page renders its data; the
key's page (where the Artifacts list leads) renders only the *description* above a timeline
of versions, so a constant description ("Prep sheet") leaves that page blank. The sheet is
therefore both the data and the description. Only the Markdown sheet is published: it holds
what the user wrote and what the contact sent, never a credential.
"""

from __future__ import annotations

import logging
import re
import sys

log = logging.getLogger(__name__)

# Prefect keys: lowercase letters, digits and dashes.
_KEY = re.compile(r"^[a-z0-9-]{1,200}$")
# A prep sheet is a few kB; the cap only bounds what an odd template could make.
MAX_CHARS = 100_000
_CUT = "\n\n*(cut here: the whole sheet is in the saved file and the email)*\n"


def bounded(markdown: str, limit: int = MAX_CHARS) -> str:
    """``markdown`` cut to ``limit`` characters, saying so when it was."""
    if len(markdown) <= limit:
        return markdown
    return markdown[: limit - len(_CUT)].rstrip() + _CUT


def publish_artifact(markdown: str, key: str) -> bool:
    """Publish ``markdown`` as a Prefect artifact on the current run; False when there is none."""
    if not _KEY.match(key):
        raise ValueError(f"not a Prefect artifact key: {key!r}")
    # Prefect takes ~2 s to import: when nothing imported it, no run can be in progress.
    if "prefect" not in sys.modules:
        return False
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        return False
    from prefect.artifacts import create_markdown_artifact

    text = bounded(markdown)
    try:
        create_markdown_artifact(markdown=text, key=key, description=text)
    except Exception as err:  # the sheet is saved and queued; a missing artifact is cosmetic
        log.warning("could not publish the artifact %s: %s", key, type(err).__name__)
        return False
    return True
