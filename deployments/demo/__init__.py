"""``coffeechat demo``: a local mail and calendar world run through coffeechat's real code paths.

``world`` starts pymap (IMAP), aiosmtpd (SMTP, delivering into pymap) and Radicale (CalDAV) on
free loopback ports and seeds the story (``story``); ``run`` syncs the mailbox and runs one cycle
exactly as production does; ``summary`` reads the outcome back, over IMAP where it can.
"""

from coffeechat.deployments.demo.run import run_demo

__all__ = ["run_demo"]
