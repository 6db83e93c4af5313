"""``coffeechat mcp``: the MCP server (reads and review-mode drafts for an AI assistant)."""
