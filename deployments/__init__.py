"""How coffeechat is run: the CLI, the long-running service, the demo world and the MCP server."""
