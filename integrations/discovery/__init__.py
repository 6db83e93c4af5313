"""Finding a mailbox's IMAP, SMTP and calendar servers from an email address."""

from coffeechat.integrations.discovery.find import discover, probe_first
from coffeechat.integrations.discovery.servers import Found, Options, Server

__all__ = ["Found", "Options", "Server", "discover", "probe_first"]
