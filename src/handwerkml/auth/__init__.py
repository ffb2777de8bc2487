"""Who is calling and what they may do: users, tenants, tokens, API keys, roles."""
