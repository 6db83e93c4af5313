"""``coffeechat demo``: a local mail and calendar world run through coffeechat's real code paths.

``world`` starts pymap (IMAP), aiosmtpd (SMTP, delivering into pymap) and Radicale (CalDAV) on
free loopback ports and seeds today's story (``story``); ``sequel`` places what happens next on a
simulated clock and ``telling`` tells it, reading the mailbox and running one cycle at each stop
exactly as production does; ``summary`` and ``why`` read the outcome back, over IMAP where they
can. docs/demo.md describes the story.
"""

from coffeechat.deployments.demo.run import run_demo

__all__ = ["run_demo"]
